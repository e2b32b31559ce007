import assert from "node:assert/strict";
import { spec } from "@shared/testing/decider.ts";
import { later } from "@shared/testing/fixtures/shared.ts";
import {
  A,
  B,
  C,
  describe,
  input,
  ORDER,
  orderCreated,
  run,
  SAGA,
} from "@shared/testing/fixtures/order_saga.ts";
import { orderSagaDecider, pendingCommands, sagaCommandId } from "./mod.ts";
import type { SagaDecision, SagaInput } from "./types.ts";

const given = spec(orderSagaDecider, { eventsOf: (d: SagaDecision) => d.events });
const types = (r: { events: { type: string }[] }) => r.events.map((e) => e.type);

Deno.test("decide() on short stock for one item releases the others, charges nothing and cancels the order", () => {
  const failed = run([orderCreated([A, B, C]), input.reserved(A), input.reservationFailed(B)]);
  assert.deepEqual(failed.state?.status, "compensating");
  assert.deepEqual(failed.events.slice(-2).map((e) => e.type), [
    "SagaFailed",
    "SagaCompensationStarted",
  ]);
  assert.match(
    failed.state?.failureReason ?? "",
    /Cannot reserve product ".+": Insufficient stock/,
  );
  // A is reserved and C may still be: both are released; B never was.
  assert.deepEqual(describe(failed.commands.slice(3)), [
    "ReleaseInventory A",
    "ReleaseInventory C",
  ]);

  const done = run([
    orderCreated([A, B, C]),
    input.reserved(A),
    input.reservationFailed(B),
    input.reserved(C), // late: the release already sent takes it back
    input.released(A, 2),
    input.released(C, 2),
    input.cancelled(3, null),
  ]);
  assert.ok(!describe(done.commands).includes("ProcessPayment"), "nothing is charged");
  assert.deepEqual(describe(done.commands).slice(3), [
    "ReleaseInventory A",
    "ReleaseInventory C",
    "CancelOrder",
  ]);
  assert.equal(done.state?.status, "compensated");
  assert.equal(done.state?.completedAt, later(3));
});

Deno.test("decide() on short stock for the only item has nothing to release: it cancels the order and ends compensated", () => {
  const failed = run([orderCreated([A]), input.reservationFailed(A)]);
  assert.deepEqual(types(failed), ["SagaStarted", "SagaFailed", "SagaCompensationStarted"]);
  assert.deepEqual(describe(failed.commands), ["ReserveInventory A", "CancelOrder"]);
  assert.deepEqual(failed.commands[1]?.command, {
    type: "CancelOrder",
    id: ORDER,
    reason: failed.state?.failureReason,
  });
  const done = run([orderCreated([A]), input.reservationFailed(A), input.cancelled(2, null)]);
  assert.equal(done.state?.status, "compensated");
});

Deno.test("decide() on a failed payment releases every reservation and refunds nothing", () => {
  const { events: history } = run([orderCreated(), input.reserved(A), input.reserved(B)]);
  given.given(history).when(input.paymentFailed()).thenAssert((decision, state) => {
    assert.deepEqual(decision.events.map((e) => e.type), ["SagaFailed", "SagaCompensationStarted"]);
    assert.deepEqual(decision.events[0]?.data, {
      sagaId: SAGA,
      orderId: ORDER,
      step: "process_payment",
      reason: "Payment failed: Card declined",
      failedAt: later(2),
    });
    assert.deepEqual(describe(decision.commands), ["ReleaseInventory A", "ReleaseInventory B"]);
    assert.equal(state?.failedStep, "process_payment");
  });
  const done = run([
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paymentFailed(),
    input.released(A, 3),
    input.released(B, 3),
    input.cancelled(4, null),
  ]);
  assert.ok(!describe(done.commands).includes("RefundPayment"));
  assert.equal(done.state?.status, "compensated");
});

Deno.test("decide() on failed shipping refunds the payment first, then releases the reservations, then cancels", () => {
  const steps: SagaInput[] = [
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shippingFailed(),
  ];
  const failed = run(steps);
  assert.deepEqual(failed.state?.pendingCompensations, [
    { step: "process_payment", productId: null },
    { step: "reserve_inventory", productId: A },
    { step: "reserve_inventory", productId: B },
  ]);
  assert.deepEqual(describe(failed.commands).slice(4), ["RefundPayment"]);

  const refunded = run([...steps, input.refunded(4)]);
  assert.deepEqual(describe(refunded.commands).slice(4), [
    "RefundPayment",
    "ReleaseInventory A",
    "ReleaseInventory B",
  ]);
  const done = run([
    ...steps,
    input.refunded(4),
    input.released(A, 5),
    input.released(B, 5),
    input.cancelled(6, null),
  ]);
  assert.deepEqual(describe(done.commands).slice(4), [
    "RefundPayment",
    "ReleaseInventory A",
    "ReleaseInventory B",
    "CancelOrder",
  ]);
  assert.equal(done.state?.status, "compensated");
  assert.deepEqual(types(done).slice(-6), [
    "SagaFailed",
    "SagaCompensationStarted",
    "SagaStepCompensated",
    "SagaStepCompensated",
    "SagaStepCompensated",
    "SagaCompensated",
  ]);
});

Deno.test("decide() waits for its own compensation order: an early release is ignored while refunding", () => {
  const { events: history } = run([
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shippingFailed(),
  ]);
  given.given(history).when(input.released(A, 4)).thenNothing();
});

Deno.test("decide() on a step timeout compensates the completed steps in reverse, and the step in flight", () => {
  const steps = [orderCreated(), input.reserved(A), input.reserved(B), input.paid(2)];
  const { events: history } = run(steps);
  // Shipping started at +2 s: at +31.999 s nothing happens, at +32 s it times out.
  given.given(history).when(input.tick(31.999)).thenNothing();
  given.given(history).when(input.tick(32)).thenAssert((decision, state) => {
    assert.deepEqual(decision.events.map((e) => e.type), ["SagaFailed", "SagaCompensationStarted"]);
    assert.equal(state?.failureReason, 'Step "arrange_shipping" timed out after 30000 ms');
    assert.deepEqual(state?.pendingCompensations.map((c) => c.step), [
      "arrange_shipping",
      "process_payment",
      "reserve_inventory",
      "reserve_inventory",
    ]);
    assert.deepEqual(describe(decision.commands), ["CancelShipping"]);
  });
  const done = run([
    ...steps,
    input.tick(32),
    input.shipped(33), // a late answer changes nothing: the cancellation is already sent
    input.shippingCancelled(34),
    input.refunded(35),
    input.released(A, 36),
    input.released(B, 36),
    input.cancelled(37, null),
  ]);
  assert.deepEqual(describe(done.commands).slice(4), [
    "CancelShipping",
    "RefundPayment",
    "ReleaseInventory A",
    "ReleaseInventory B",
    "CancelOrder",
  ]);
  assert.equal(done.state?.status, "compensated");
});

Deno.test("decide() on a timeout while reserving releases every item, reserved or in flight", () => {
  const timedOut = run([orderCreated(), input.reserved(A), input.tick(30)]);
  assert.deepEqual(describe(timedOut.commands).slice(2), [
    "ReleaseInventory A",
    "ReleaseInventory B",
  ]);
});

Deno.test("decide() fails the saga when the whole saga exceeds its timeout", () => {
  const options = { stepTimeoutMs: 30_000, sagaTimeoutMs: 40_000 };
  const result = run(
    [orderCreated(), input.reserved(A, 20), input.reserved(B, 25), input.tick(40)],
    options,
  );
  assert.equal(result.state?.status, "compensating");
  assert.equal(result.state?.failureReason, "The saga timed out after 40000 ms");
  assert.deepEqual(describe(result.commands).slice(3), ["RefundPayment"]);
});

Deno.test("decide() compensates what was done when the order is cancelled during the saga, without cancelling it again", () => {
  const steps = [orderCreated(), input.reserved(A), input.reserved(B), input.paid()];
  const { events: history } = run(steps);
  given.given(history).when(input.cancelled(3)).thenAssert((decision, state) => {
    assert.deepEqual(decision.events.map((e) => e.type), ["SagaCompensationStarted"]);
    assert.equal(state?.failureReason, "The order was cancelled: Changed my mind");
    assert.equal(state?.cancelOrder, false);
    assert.deepEqual(describe(decision.commands), ["CancelShipping"]);
  });
  const done = run([
    ...steps,
    input.cancelled(3),
    input.shippingCancelled(4),
    input.refunded(5),
    input.released(A, 6),
    input.released(B, 6),
  ]);
  assert.equal(done.state?.status, "compensated");
  assert.ok(!describe(done.commands).includes("CancelOrder"));
  assert.equal(types(done).at(-1), "SagaCompensated");
});

Deno.test("decide() compensates a completed saga when its confirmed order is cancelled", () => {
  const result = run([
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shipped(),
    input.confirmed(),
    input.cancelled(10),
  ]);
  assert.equal(result.state?.status, "compensating");
  assert.deepEqual(describe(result.commands).slice(5), ["CancelShipping"]);
});

Deno.test("decide() treats a refused step command as a failed step", () => {
  const steps = [
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shipped(),
  ];
  const { events: history } = run(steps);
  given.given(history).when({
    type: "SagaCommandRejected",
    orderId: ORDER,
    commandId: sagaCommandId(ORDER, "confirm-order"),
    reason: "Cannot change order: not an allowed transition",
    at: later(5),
  }).thenAssert((decision, state) => {
    assert.equal(state?.failedStep, "confirm_order");
    assert.match(state?.failureReason ?? "", /Command "UpdateOrderStatus" was refused/);
    assert.deepEqual(describe(decision.commands), ["CancelShipping"]);
  });
});

Deno.test("decide() ends compensated when its final CancelOrder is refused because the order is already cancelled", () => {
  const failed = run([orderCreated([A]), input.reservationFailed(A)]);
  assert.deepEqual(describe(pendingCommands(failed.state)), ["CancelOrder"]);
  given.given(failed.events).when({
    type: "SagaCommandRejected",
    orderId: ORDER,
    commandId: sagaCommandId(ORDER, "cancel-order"),
    reason: "Cannot cancel order: it is already cancelled",
    at: later(3),
  }).thenAssert((decision, state) => {
    assert.deepEqual(decision.events.map((e) => e.type), ["SagaCompensated"]);
    assert.equal(state?.status, "compensated");
  });
});

Deno.test("decide() ignores step answers once compensating or finished", () => {
  const { events: history } = run([orderCreated(), input.reserved(A), input.paymentFailed(1)]);
  // paymentFailed before the payment step is not the current step: ignored, still reserving.
  assert.equal(history.length, 2);
  const failed = run([orderCreated([A]), input.reservationFailed(A)]);
  given.given(failed.events).when(input.paid()).thenNothing();
  given.given(failed.events).when(input.tick(600)).thenNothing();
});
