/**
 * 200 orders of one unit placed at once for a product with a stock of 100:
 * exactly 100 confirmed and 100 compensated, and the stock ends at 0 without
 * ever going negative.
 */
import assert from "node:assert/strict";
import { inventoryIdFor } from "@shared/domain/shared/ids.ts";
import { simulatedCarrier, simulatedGateway } from "../../services/command/adapters.ts";
import { startSagaHarness } from "@shared/testing/e2e/saga.ts";

const ORDERS = 200;
const STOCK = 100;

Deno.test("200 concurrent orders for a stock of 100: 100 confirmed, 100 compensated, stock 0", async () => {
  const h = await startSagaHarness();
  try {
    const productId = await h.product("10.00", STOCK);
    const worker = await h.startWorker({
      ports: {
        paymentGateway: simulatedGateway({ mode: "succeed" }),
        carrier: simulatedCarrier({ mode: "succeed" }),
      },
    });
    const orderIds = await Promise.all(
      Array.from({ length: ORDERS }, () => h.placeOrder([{ productId, quantity: 1 }])),
    );

    const deadline = Date.now() + 60_000;
    const ends = async () =>
      await h.db.eventStore<{ type: string; n: number }[]>`
        SELECT event_type AS type, count(*)::int AS n FROM events
        WHERE event_type IN ('SagaCompleted', 'SagaCompensated') GROUP BY event_type`;
    for (;;) {
      const total = (await ends()).reduce((sum, r) => sum + r.n, 0);
      if (total >= ORDERS) break;
      assert.ok(Date.now() < deadline, `only ${total} of ${ORDERS} sagas finished`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await worker.stop();

    const byType = Object.fromEntries((await ends()).map((r) => [r.type, r.n]));
    assert.deepEqual(byType, { SagaCompleted: STOCK, SagaCompensated: ORDERS - STOCK });

    const outcomes = await h.db.eventStore<{ type: string; to: string | null; n: number }[]>`
      SELECT event_type AS type, event_data->>'to' AS to, count(*)::int AS n FROM events
      WHERE aggregate_id = ANY(${orderIds}::uuid[]) AND event_type <> 'OrderCreated'
      GROUP BY 1, 2 ORDER BY 1`;
    assert.deepEqual([...outcomes], [
      { type: "OrderCancelled", to: null, n: ORDERS - STOCK },
      { type: "OrderStatusChanged", to: "confirmed", n: STOCK },
    ]);

    const stock = await h.events(inventoryIdFor(productId));
    const reserved = stock.filter((e) => e.type === "InventoryReserved");
    assert.equal(reserved.length, STOCK);
    assert.equal(
      stock.filter((e) => e.type === "InventoryReservationFailed").length,
      ORDERS - STOCK,
    );
    assert.equal(stock.filter((e) => e.type === "InventoryReleased").length, 0);
    assert.ok(
      reserved.every((e) => (e.data.available as number) >= 0),
      "the stock never goes negative",
    );
    assert.equal(stock.at(-1)?.data.available, 0);
    const [charges] = await h.db.eventStore<{ n: number }[]>`
      SELECT count(*)::int AS n FROM events WHERE event_type = 'PaymentProcessed'`;
    assert.equal(charges?.n, STOCK, "only the orders that got stock are charged");
    assert.deepEqual(h.errors, []);
  } finally {
    await h.stop();
  }
});
