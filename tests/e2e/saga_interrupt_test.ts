/**
 * The order saga interrupted: the order cancelled or moved on during the
 * saga, a saga started by the startOrderSaga mutation while no worker ran,
 * and a worker that lost its checkpoint replaying everything.
 */
import assert from "node:assert/strict";
import { paymentIdFor, sagaIdFor, shipmentIdFor } from "@shared/domain/shared/ids.ts";
import type { Carrier } from "../../services/command/ports.ts";
import { simulatedCarrier, simulatedGateway } from "../../services/command/adapters.ts";
import {
  assertAllFinished,
  available,
  slowChargePorts,
  startSagaHarness,
  succeedingPorts as succeed,
} from "@shared/testing/e2e/saga.ts";

Deno.test("the order saga copes with cancellations, refusals, late starts and replays", async (t) => {
  const h = await startSagaHarness();
  try {
    await t.step("cancelOrder during a running saga compensates what was done", async () => {
      const ports = slowChargePorts(1500);
      const worker = await h.startWorker({ ports });
      const a = await h.product("10.00", 5);
      const b = await h.product("10.00", 5);
      const orderId = await h.placeOrder([{ productId: a, quantity: 1 }, {
        productId: b,
        quantity: 1,
      }]);
      await h.waitForSaga(orderId, (s) => s.currentStep === "process_payment");
      await h.orders.cancelOrder({ id: orderId, reason: "Changed my mind" });

      const saga = await h.waitForSaga(orderId);
      assert.equal(saga.status, "compensated");
      assert.equal(saga.failureReason, "The order was cancelled: Changed my mind");
      assert.deepEqual(await h.types(paymentIdFor(orderId)), [
        "PaymentProcessed",
        "PaymentRefunded",
      ]);
      assert.equal(await available(h, a), 5);
      assert.equal(await available(h, b), 5);
      assert.deepEqual(await h.types(shipmentIdFor(orderId)), []);
      const order = await h.events(orderId);
      assert.deepEqual(
        order.map((e) => e.type),
        ["OrderCreated", "OrderCancelled"],
        "cancelled once",
      );
      assert.equal(order[1]?.data.reason, "Changed my mind");
      await worker.stop();
    });

    await t.step("a refused step fails the saga and undoes everything before it", async () => {
      const booking = simulatedCarrier({ mode: "delay", delayMs: 1500 });
      const cancelling = simulatedCarrier({ mode: "succeed" });
      const carrier: Carrier = {
        book: (request) => booking.book(request),
        cancel: (request) => cancelling.cancel(request),
      };
      const paymentGateway = simulatedGateway({ mode: "succeed" });
      const worker = await h.startWorker({ ports: { paymentGateway, carrier } });
      const a = await h.product("10.00", 5);
      const orderId = await h.placeOrder([{ productId: a, quantity: 1 }]);
      await h.waitForSaga(orderId, (s) => s.currentStep === "arrange_shipping");
      // Someone moves the order on: confirming it is no longer an allowed transition.
      await h.orders.updateOrderStatus({ id: orderId, status: "processing" });

      const saga = await h.waitForSaga(orderId);
      assert.equal(saga.status, "compensated");
      assert.match(
        saga.failureReason ?? "",
        /Command "UpdateOrderStatus" was refused: .*not an allowed transition/,
      );
      const shipment = await h.events(shipmentIdFor(orderId));
      assert.deepEqual(shipment.map((e) => e.type), ["ShippingArranged", "ShippingCancelled"]);
      assert.equal(shipment[1]?.data.wasArranged, true);
      assert.equal(cancelling.stats.undone, 1, "the booking is cancelled at the carrier");
      assert.deepEqual(await h.types(paymentIdFor(orderId)), [
        "PaymentProcessed",
        "PaymentRefunded",
      ]);
      assert.equal(await available(h, a), 5);
      const order = await h.events(orderId);
      assert.deepEqual(order.map((e) => [e.type, e.data.to ?? e.data.from]), [
        ["OrderCreated", undefined],
        ["OrderStatusChanged", "processing"],
        ["OrderCancelled", "processing"],
      ]);
      await worker.stop();
    });

    await t.step(
      "a saga started by the startOrderSaga mutation runs once the worker is up",
      async () => {
        const a = await h.product("10.00", 5);
        const orderId = await h.placeOrder([{ productId: a, quantity: 1 }]);
        await h.orders.startOrderSaga({ orderId });
        assert.deepEqual(await h.types(sagaIdFor(orderId)), ["SagaStarted"]);
        const worker = await h.startWorker({ ports: succeed() });

        assert.equal((await h.waitForSaga(orderId)).status, "completed");
        const types = await h.types(sagaIdFor(orderId));
        assert.equal(types.filter((type) => type === "SagaStarted").length, 1);
        assert.deepEqual(await h.types(paymentIdFor(orderId)), ["PaymentProcessed"]);
        await worker.stop();
      },
    );

    await t.step(
      "a worker that lost its checkpoint replays every event and changes nothing",
      async () => {
        // As after a crash between appending a batch's saga events and advancing the checkpoint,
        // with every saga's row left behind as if it were still running.
        await h.db.eventStore`DELETE FROM saga_checkpoints`;
        await h.db.eventStore`UPDATE saga_instances SET status = 'processing'`;
        const [stats] = await h.db.eventStore<{ last: string; count: number }[]>`
          SELECT max(id)::text AS last, count(*)::int AS count FROM events`;
        const worker = await h.startWorker({ ports: succeed() });
        const deadline = Date.now() + 20_000;
        while (BigInt(worker.position.id) < BigInt(stats!.last)) {
          assert.ok(Date.now() < deadline, "the worker did not catch up");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await worker.stop();
        const [after] = await h.db.eventStore<{ count: number }[]>`
        SELECT count(*)::int AS count FROM events`;
        assert.equal(after?.count, stats!.count, "nothing appended, nothing sent");
        assert.equal(worker.running, 0);
      },
    );

    await assertAllFinished(h);
  } finally {
    await h.stop();
  }
});
