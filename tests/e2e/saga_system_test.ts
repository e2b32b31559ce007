/**
 * The saga worker as `deno task dev` runs it: a process of its own beside the
 * other four, confirming an order placed through the command service, with
 * its /health and /metrics on its own port.
 */
import assert from "node:assert/strict";
import { categoryCommands, orderCommands, productCommands } from "@proto/command/v1/contract.ts";
import { sagaIdFor } from "@shared/domain/shared/ids.ts";
import { createClient } from "@shared/grpc/client.ts";
import { sampleValue } from "@shared/testing/observability.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import { ADDRESS } from "@shared/testing/e2e/saga.ts";

Deno.test("the system's saga process confirms an order and reports it on /metrics", async () => {
  const system = await startTestSystem({
    LOG_LEVEL: "warn",
    SAGA_POLL_MS: "100",
    SAGA_TIMER_MS: "100",
  });
  const { db, ports } = system;
  const address = `127.0.0.1:${ports.command}`;
  // Staff keep the catalogue and may order for any customer.
  const { authorization: staff } = await bearer("clerk", ["staff"]);
  const categories = actingAs(createClient(categoryCommands, address), staff);
  const products = actingAs(createClient(productCommands, address), staff);
  const orders = actingAs(createClient(orderCommands, address), staff);
  try {
    const health = await fetch(`http://127.0.0.1:${ports.saga}/health`);
    assert.equal((await health.json()).status, "ok");

    const categoryId = (await categories.createCategory({ name: "Shop" })).id;
    const productId = (await products.createProduct({ name: "Pen", price: "10.00", categoryId }))
      .id;
    await products.setStock({ productId, quantity: 5 });
    const orderId = (await orders.createOrder({
      customerId: crypto.randomUUID(),
      items: [{ productId, quantity: 2 }],
      shippingAddress: ADDRESS,
    })).id;

    const deadline = Date.now() + 20_000;
    const sagaTypes = async () =>
      (await db.eventStore<{ type: string }[]>`
        SELECT event_type AS type FROM events WHERE aggregate_id = ${sagaIdFor(orderId)}
        ORDER BY event_version`).map((r) => r.type);
    while (!(await sagaTypes()).includes("SagaCompleted")) {
      assert.ok(Date.now() < deadline, "the saga did not complete");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const order = await db.eventStore<{ type: string; to: string | null }[]>`
      SELECT event_type AS type, event_data->>'to' AS to FROM events
      WHERE aggregate_id = ${orderId} ORDER BY event_version`;
    assert.deepEqual([...order], [
      { type: "OrderCreated", to: null },
      { type: "OrderStatusChanged", to: "confirmed" },
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.saga}/metrics`)).text();
    assert.equal(sampleValue(metrics, "saga_started_total", { saga: "order" }), 1);
    assert.equal(sampleValue(metrics, "saga_completed_total", { saga: "order" }), 1);
    assert.equal(
      sampleValue(metrics, "saga_step_duration_seconds_count", { step: "confirm_order" }),
      1,
    );
  } finally {
    categories.close();
    products.close();
    orders.close();
    await system.close();
  }
});
