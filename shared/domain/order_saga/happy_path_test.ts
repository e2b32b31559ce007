import assert from "node:assert/strict";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import type { OrderState } from "../order/types.ts";
import { inventoryIdFor } from "../shared/ids.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import {
  A,
  ADDRESS,
  B,
  describe,
  input,
  ORDER,
  orderCreated,
  PAYMENT,
  run,
  SAGA,
} from "@shared/testing/fixtures/order_saga.ts";
import { nextDeadline, orderSagaDecider, pendingCommands, sagaCommandId } from "./mod.ts";
import type { SagaDecision } from "./types.ts";

const given = spec(orderSagaDecider, { eventsOf: (d: SagaDecision) => d.events });

Deno.test("decide() starts the saga on OrderCreated and reserves every item in parallel", () => {
  given.when(orderCreated()).then({
    events: [{
      type: "SagaStarted",
      data: {
        sagaId: SAGA,
        orderId: ORDER,
        order: {
          items: [{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }],
          total: "55.00",
          shippingAddress: ADDRESS,
        },
        stepTimeoutMs: 30_000,
        sagaTimeoutMs: 300_000,
        startedAt: AT,
      },
    }],
    commands: [A, B].map((productId) => ({
      commandId: sagaCommandId(ORDER, `reserve-inventory/${productId}`),
      aggregateType: "Inventory",
      streamId: inventoryIdFor(productId),
      command: { type: "ReserveInventory", orderId: ORDER, productId, quantity: 1 },
    })),
  });
});

Deno.test("decide() runs every step in order and completes: reserve, pay, ship, confirm", () => {
  const result = run([
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shipped(),
    input.confirmed(),
  ]);
  assert.deepEqual(describe(result.commands), [
    "ReserveInventory A",
    "ReserveInventory B",
    "ProcessPayment",
    "ArrangeShipping",
    "UpdateOrderStatus",
  ]);
  assert.deepEqual(result.events.map((e) => e.type), [
    "SagaStarted",
    "SagaStepCompleted",
    "SagaStepCompleted",
    "SagaStepCompleted",
    "SagaStepCompleted",
    "SagaStepCompleted",
    "SagaStepCompleted",
    "SagaCompleted",
  ]);
  assert.equal(result.state?.status, "completed");
  assert.deepEqual(result.state?.completedSteps, [
    "reserve_inventory",
    "process_payment",
    "arrange_shipping",
    "confirm_order",
  ]);
  assert.equal(result.state?.currentStep, null);
  assert.equal(result.state?.completedAt, later(4));
  assert.deepEqual(result.commands[2]?.command, {
    type: "ProcessPayment",
    paymentId: PAYMENT,
    orderId: ORDER,
    amount: "55.00",
  });
  assert.deepEqual(result.commands[4]?.command, {
    type: "UpdateOrderStatus",
    id: ORDER,
    status: "confirmed",
  });
});

Deno.test("decide() waits for every reservation before charging", () => {
  const { events: history } = run([orderCreated()]);
  given.given(history).when(input.reserved(A)).then({
    events: [{
      type: "SagaStepCompleted",
      data: {
        sagaId: SAGA,
        orderId: ORDER,
        step: "reserve_inventory",
        productId: A,
        completedAt: later(1),
      },
    }],
    commands: [],
  });
});

Deno.test("decide() ignores a repeated reservation, a repeated OrderCreated and another order's events", () => {
  const { events: history } = run([orderCreated(), input.reserved(A)]);
  given.given(history).when(input.reserved(A)).thenNothing();
  given.given(history).when(orderCreated()).thenNothing();
  const other = input.reserved(B);
  if (other.type === "InventoryReserved") other.data = { ...other.data, orderId: id(999) };
  given.given(history).when(other).thenNothing();
});

const pendingOrder = (status: OrderState["status"]): OrderState => ({
  id: ORDER,
  customerId: id(200),
  status,
  items: [{
    productId: A,
    productName: "A",
    quantity: 2,
    unitPrice: 500,
    discountRate: "0",
    lineTotal: 1000,
  }],
  subtotal: 1000,
  tax: 100,
  shipping: 50_000,
  total: 51_100,
  shippingAddress: ADDRESS,
  cancelReason: null,
  createdAt: AT,
  updatedAt: AT,
  version: 1,
});

Deno.test("decide() starts the saga of a pending order on StartOrderSaga", () => {
  given.when({ type: "StartOrderSaga", orderId: ORDER, order: pendingOrder("pending"), at: AT })
    .thenAssert((decision, state) => {
      assert.equal(decision.events[0]?.type, "SagaStarted");
      assert.equal(state?.order.total, "511.00");
      assert.deepEqual(describe(decision.commands), ["ReserveInventory A"]);
    });
});

Deno.test("decide() refuses StartOrderSaga for an order that does not exist or is not pending", () => {
  given.when({ type: "StartOrderSaga", orderId: ORDER, at: AT }).thenThrows(
    NotFoundError,
    /Cannot start the saga of order ".+": it does not exist/,
    { field: "orderId" },
  );
  given.when({ type: "StartOrderSaga", orderId: ORDER, order: pendingOrder("cancelled"), at: AT })
    .thenThrows(PreconditionError, /it is "cancelled", not "pending"/, { field: "orderId" });
});

Deno.test("decide() ignores StartOrderSaga for a saga that already runs", () => {
  const { events } = run([orderCreated()]);
  given.given(events).when({
    type: "StartOrderSaga",
    orderId: ORDER,
    order: pendingOrder("pending"),
    at: AT,
  }).thenNothing();
});

Deno.test("pendingCommands() gives a restarted runner the same commands with the same ids", () => {
  const before = run([orderCreated(), input.reserved(A)]);
  const resumed = pendingCommands(before.state);
  assert.deepEqual(describe(resumed), ["ReserveInventory B"]);
  assert.equal(resumed[0]?.commandId, before.commands[1]?.commandId);
  const paying = run([orderCreated(), input.reserved(A), input.reserved(B)]);
  assert.deepEqual(pendingCommands(paying.state), [paying.commands.at(-1)]);
  assert.deepEqual(
    pendingCommands(
      run([
        ...[orderCreated()],
        input.reserved(A),
        input.reserved(B),
        input.paid(),
        input.shipped(),
        input.confirmed(),
      ]).state,
    ),
    [],
  );
});

Deno.test("sagaCommandId() is deterministic per order and step, and differs across them", () => {
  assert.equal(sagaCommandId(ORDER, "process-payment"), sagaCommandId(ORDER, "process-payment"));
  assert.notEqual(sagaCommandId(ORDER, "process-payment"), sagaCommandId(ORDER, "refund-payment"));
  assert.notEqual(
    sagaCommandId(ORDER, "process-payment"),
    sagaCommandId(id(101), "process-payment"),
  );
  assert.match(
    sagaCommandId(ORDER, "x"),
    /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});

Deno.test("nextDeadline() is the earlier of the step and saga deadlines, and null once finished", () => {
  const started = run([orderCreated()]);
  assert.equal(nextDeadline(started.state), later(30));
  const paying = run([orderCreated(), input.reserved(A), input.reserved(B, 10)]);
  assert.equal(nextDeadline(paying.state), later(40));
  const done = run([
    orderCreated(),
    input.reserved(A),
    input.reserved(B),
    input.paid(),
    input.shipped(),
    input.confirmed(),
  ]);
  assert.equal(nextDeadline(done.state), null);
  const tight = run([orderCreated()], { stepTimeoutMs: 30_000, sagaTimeoutMs: 10_000 });
  assert.equal(nextDeadline(tight.state), later(10));
});
