/**
 * The order saga end to end: the saga worker (in-process) against a real
 * PostgreSQL, sending its steps over gRPC to the real command service, which
 * calls the simulated payment gateway and carrier: the confirmed order and
 * every failure path. Each step starts a worker with the adapters of its
 * path, waits for its sagas to finish, and stops it; the next worker resumes
 * from the same checkpoint.
 */
import assert from "node:assert/strict";
import { SAGA_STEPS, sagaCommandId } from "@shared/domain/order_saga/mod.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import {
  inventoryIdFor,
  paymentIdFor,
  sagaIdFor,
  shipmentIdFor,
} from "@shared/domain/shared/ids.ts";
import type { PaymentGateway } from "../../services/command/ports.ts";
import { simulatedCarrier, simulatedGateway } from "../../services/command/adapters.ts";
import {
  assertAllFinished,
  available,
  metric,
  reservations,
  slowChargePorts,
  startSagaHarness,
  succeedingPorts as succeed,
} from "@shared/testing/e2e/saga.ts";

Deno.test("the order saga runs every path end to end against PostgreSQL", async (t) => {
  const h = await startSagaHarness();
  try {
    await t.step(
      "it confirms an order: reserves every item, charges the total, ships",
      async () => {
        const ports = succeed();
        const worker = await h.startWorker({ ports, httpPort: 0 });
        const started = await metric("saga_started_total", { saga: "order" });
        const completed = await metric("saga_completed_total", { saga: "order" });
        const payStep = await metric("saga_step_duration_seconds_count", {
          step: "process_payment",
        });
        const a = await h.product("10.00", 10);
        const b = await h.product("5.00", 10);
        const orderId = await h.placeOrder([{ productId: a, quantity: 2 }, {
          productId: b,
          quantity: 1,
        }]);

        const saga = await h.waitForSaga(orderId);
        assert.equal(saga.status, "completed");
        assert.deepEqual(saga.completedSteps, [...SAGA_STEPS]);
        const order = await h.events(orderId);
        assert.deepEqual(order.map((e) => e.type), ["OrderCreated", "OrderStatusChanged"]);
        assert.equal(order[1]?.data.to, "confirmed");
        // The saga acts as its own service identity, not as the user who placed the order.
        assert.equal(order[0]?.metadata.userId, "clerk");
        const sagaEvents = await h.events(sagaIdFor(orderId));
        for (const e of [order[1]!, ...sagaEvents.slice(1)]) {
          assert.equal(e.metadata.userId, "saga", e.type);
          assert.deepEqual(e.metadata.roles, ["staff"], e.type);
        }
        // 25.00 + 10% tax + 500.00 shipping
        const payment = await h.events(paymentIdFor(orderId));
        assert.deepEqual(payment.map((e) => [e.type, e.data.amount]), [
          ["PaymentProcessed", "527.50"],
        ]);
        assert.deepEqual(await h.types(shipmentIdFor(orderId)), ["ShippingArranged"]);
        assert.equal(await available(h, a), 8);
        assert.equal(await available(h, b), 9);
        assert.deepEqual(await h.types(sagaIdFor(orderId)), [
          "SagaStarted",
          ...Array(6).fill("SagaStepCompleted"),
          "SagaCompleted",
        ]);
        assert.equal(ports.paymentGateway.stats.calls, 1);
        assert.equal(ports.carrier.stats.calls, 1);
        // Each step went to the command service under its deterministic id and the saga's token.
        const stepEvents = [
          ...(await h.events(inventoryIdFor(a))).filter((e) => e.data.orderId === orderId),
          ...(await h.events(inventoryIdFor(b))).filter((e) => e.data.orderId === orderId),
          ...payment,
          ...await h.events(shipmentIdFor(orderId)),
          order[1]!,
        ];
        assert.deepEqual(stepEvents.map((e) => [e.type, e.metadata.commandId, e.metadata.userId]), [
          ["InventoryReserved", sagaCommandId(orderId, `reserve-inventory/${a}`), "saga"],
          ["InventoryReserved", sagaCommandId(orderId, `reserve-inventory/${b}`), "saga"],
          ["PaymentProcessed", sagaCommandId(orderId, "process-payment"), "saga"],
          ["ShippingArranged", sagaCommandId(orderId, "arrange-shipping"), "saga"],
          ["OrderStatusChanged", sagaCommandId(orderId, "confirm-order"), "saga"],
        ]);
        const sagaEventIds = (await h.db.eventStore<{ id: string }[]>`
          SELECT event_id::text AS id FROM events WHERE aggregate_id = ${sagaIdFor(orderId)}`)
          .map((r) => r.id);
        assert.equal(typeof sagaEvents[1]!.metadata.correlationId, "string");
        for (const e of stepEvents) {
          assert.equal(e.metadata.correlationId, sagaEvents[1]!.metadata.correlationId, e.type);
          assert.ok(sagaEventIds.includes(String(e.metadata.causationId)), `${e.type} caused`);
        }
        // The confirmation went through the public UpdateOrderStatus RPC, which hashes its input.
        assert.equal(typeof order[1]!.metadata.inputHash, "string");

        assert.equal(await metric("saga_started_total", { saga: "order" }), started + 1);
        assert.equal(await metric("saga_completed_total", { saga: "order" }), completed + 1);
        assert.equal(
          await metric("saga_step_duration_seconds_count", { step: "process_payment" }),
          payStep + 1,
        );
        const health = await fetch(`http://127.0.0.1:${worker.httpPort}/health`);
        assert.equal(health.status, 200);
        assert.equal((await health.json()).status, "ok");
        const scrape = await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`);
        assert.match(await scrape.text(), /saga_completed_total\{saga="order"\} \d+/);
        await worker.stop();
      },
    );

    await t.step(
      "one item short of stock: nothing charged, the others released, order cancelled",
      async () => {
        const ports = succeed();
        const worker = await h.startWorker({ ports });
        const compensated = await metric("saga_compensated_total", { saga: "order" });
        const [a, b, c] = [
          await h.product("10.00", 5),
          await h.product("10.00", 0),
          await h.product("10.00", 5),
        ] as [string, string, string];
        const orderId = await h.placeOrder(
          [a, b, c].map((productId) => ({ productId, quantity: 1 })),
        );

        const saga = await h.waitForSaga(orderId);
        assert.equal(saga.status, "compensated");
        assert.match(saga.failureReason ?? "", /Cannot reserve product ".+": Insufficient stock/);
        assert.equal(ports.paymentGateway.stats.calls, 0, "nothing is charged");
        assert.deepEqual(await h.types(paymentIdFor(orderId)), []);
        assert.deepEqual(await reservations(h, b, orderId), ["InventoryReservationFailed"]);
        for (const other of [a, c]) {
          assert.ok((await reservations(h, other, orderId)).includes("InventoryReleased"));
          assert.equal(await available(h, other), 5, "the reservation is given back");
        }
        const order = await h.events(orderId);
        assert.deepEqual(order.map((e) => e.type), ["OrderCreated", "OrderCancelled"]);
        assert.match(String(order[1]?.data.reason), /Insufficient stock/);
        assert.equal(await metric("saga_compensated_total", { saga: "order" }), compensated + 1);
        await worker.stop();
      },
    );

    await t.step("the payment fails: the reservations are released, nothing refunded", async () => {
      const ports = {
        paymentGateway: simulatedGateway({ mode: "fail_above", failAbove: "1000.00" }),
        carrier: simulatedCarrier({ mode: "succeed" }),
      };
      const worker = await h.startWorker({ ports });
      const x = await h.product("600.00", 3);
      const y = await h.product("10.00", 3);
      const [expensive, cheap] = await Promise.all([
        h.placeOrder([{ productId: x, quantity: 1 }, { productId: y, quantity: 1 }]),
        h.placeOrder([{ productId: y, quantity: 1 }]),
      ]);

      const failed = await h.waitForSaga(expensive);
      assert.equal(failed.status, "compensated");
      assert.match(
        failed.failureReason ?? "",
        /Payment failed: Amount 1171\.00 is above the limit/,
      );
      assert.deepEqual(await h.types(paymentIdFor(expensive)), ["PaymentFailed"]);
      assert.deepEqual(await reservations(h, x, expensive), [
        "InventoryReserved",
        "InventoryReleased",
      ]);
      assert.deepEqual(await reservations(h, y, expensive), [
        "InventoryReserved",
        "InventoryReleased",
      ]);
      assert.deepEqual(await h.types(shipmentIdFor(expensive)), []);
      assert.deepEqual(await h.types(expensive), ["OrderCreated", "OrderCancelled"]);

      assert.equal(
        (await h.waitForSaga(cheap)).status,
        "completed",
        "a charge under the limit passes",
      );
      assert.equal(await available(h, x), 3);
      assert.equal(await available(h, y), 2);
      await worker.stop();
    });

    await t.step(
      "shipping fails: the payment is refunded (retried until it succeeds) and the reservations released",
      async () => {
        const gateway = simulatedGateway({ mode: "succeed" });
        let refunds = 0;
        // The gateway is unreachable for the first two refunds: the compensation retries.
        const flaky: PaymentGateway = {
          charge: (request) => gateway.charge(request),
          refund: (request) => {
            // As the HTTP adapter reports an unreachable gateway.
            if (++refunds <= 2) {
              return Promise.reject(new UnavailableError("The payment gateway is unreachable"));
            }
            return gateway.refund(request);
          },
        };
        const carrier = simulatedCarrier({ mode: "fail" });
        const worker = await h.startWorker({ ports: { paymentGateway: flaky, carrier } });
        const a = await h.product("20.00", 4);
        const b = await h.product("30.00", 4);
        const orderId = await h.placeOrder([{ productId: a, quantity: 1 }, {
          productId: b,
          quantity: 2,
        }]);

        const saga = await h.waitForSaga(orderId);
        assert.equal(saga.status, "compensated");
        assert.match(saga.failureReason ?? "", /Shipping failed: No carrier can deliver there/);
        const payment = await h.events(paymentIdFor(orderId));
        assert.deepEqual(payment.map((e) => [e.type, e.data.amount]), [
          ["PaymentProcessed", "588.00"],
          ["PaymentRefunded", "588.00"],
        ]);
        assert.equal(refunds, 3, "two failed refunds, then one that went through");
        assert.equal(gateway.stats.undone, 1);
        assert.deepEqual(await h.types(shipmentIdFor(orderId)), ["ShippingFailed"]);
        assert.equal(await available(h, a), 4);
        assert.equal(await available(h, b), 4);
        assert.deepEqual(await h.types(orderId), ["OrderCreated", "OrderCancelled"]);
        const sagaEvents = await h.events(sagaIdFor(orderId));
        assert.deepEqual(
          sagaEvents.filter((e) => e.type === "SagaStepCompensated").map((e) => e.data.step),
          ["process_payment", "reserve_inventory", "reserve_inventory"],
          "undone in reverse order",
        );
        await worker.stop();
      },
    );

    await t.step(
      "a step times out: the completed steps and the step in flight are compensated",
      async () => {
        const ports = slowChargePorts(2500);
        const worker = await h.startWorker({ ports, sagaOptions: { stepTimeoutMs: 1000 } });
        const a = await h.product("10.00", 2);
        const orderId = await h.placeOrder([{ productId: a, quantity: 2 }]);

        const saga = await h.waitForSaga(orderId);
        assert.equal(saga.status, "compensated");
        assert.equal(saga.failedStep, "process_payment");
        assert.match(saga.failureReason ?? "", /Step "process_payment" timed out after 1000 ms/);
        // The late charge went through, and was refunded.
        assert.deepEqual(await h.types(paymentIdFor(orderId)), [
          "PaymentProcessed",
          "PaymentRefunded",
        ]);
        assert.deepEqual(await reservations(h, a, orderId), [
          "InventoryReserved",
          "InventoryReleased",
        ]);
        assert.equal(await available(h, a), 2);
        assert.deepEqual(await h.types(shipmentIdFor(orderId)), [], "shipping never started");
        assert.deepEqual(await h.types(orderId), ["OrderCreated", "OrderCancelled"]);
        await worker.stop();
      },
    );

    await t.step(
      "a step's timeout counts from when its command is sent, not while it waits in the worker",
      async () => {
        const ports = slowChargePorts(400);
        // One command out at a time: the fifth order's charge waits about 1.6 s for its turn,
        // past its step's timeout of 1 s, then takes 0.4 s once sent.
        const worker = await h.startWorker({
          ports,
          commandsAtOnce: 1,
          sagaOptions: { stepTimeoutMs: 1000 },
        });
        const a = await h.product("10.00", 5);
        const orderIds = await Promise.all(
          Array.from({ length: 5 }, () => h.placeOrder([{ productId: a, quantity: 1 }])),
        );
        const sagas = await Promise.all(orderIds.map((orderId) => h.waitForSaga(orderId)));
        assert.deepEqual(
          sagas.map((saga) => [saga.status, saga.failureReason]),
          orderIds.map(() => ["completed", null]),
        );
        assert.equal(await available(h, a), 0);
        await worker.stop();
      },
    );

    await t.step(
      "a worker whose token the command service refuses does not start, naming the fix",
      async () => {
        await assert.rejects(
          () =>
            h.startWorker({
              signing: { secret: "a-secret-that-the-command-service-does-not-know-at-all" },
            }),
          (err: Error) => {
            assert.equal(err.name, "ConfigError");
            assert.match(err.message, /refuses the saga's token \(UNAUTHENTICATED: /);
            assert.match(err.message, /set JWT_SECRET/);
            return true;
          },
        );
      },
    );

    await assertAllFinished(h);
  } finally {
    await h.stop();
  }
});
