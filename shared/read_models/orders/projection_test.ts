import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, resetReadModel, Scenario, snapshot } from "@shared/testing/read_model.ts";
import { ordersProjection } from "./projection.ts";
import { getOrder } from "./queries.ts";

const CUSTOMER = "7b3c1e52-8a3f-4d2e-9f1a-0c5b6d7e8f90";

function placeOrder(s: Scenario): string {
  return s.createOrder({
    customerId: CUSTOMER,
    items: [
      { productId: crypto.randomUUID(), productName: "Boot", quantity: 2, unitPrice: "19.99" },
      { productId: crypto.randomUUID(), productName: "Hat", quantity: 1, unitPrice: "5.05" },
    ],
    subtotal: "45.03",
    tax: "4.50",
    shipping: "500.00",
    total: "549.53",
  });
}

Deno.test("orders projection", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  try {
    await t.step("holds an order's items, totals and address as placed", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const id = placeOrder(s);
      await project(sql, ordersProjection, s.events);
      const order = await getOrder(sql, id);
      assert.equal(order?.status, "pending");
      assert.equal(order?.customerId, CUSTOMER);
      assert.deepEqual(
        [order?.subtotal, order?.tax, order?.shipping, order?.total],
        ["45.03", "4.50", "500.00", "549.53"],
      );
      assert.deepEqual(order?.items.map((i) => [i.productName, i.quantity, i.lineTotal]), [
        ["Boot", 2, "39.98"],
        ["Hat", 1, "5.05"],
      ]);
      assert.equal(order?.shippingAddress.city, "Springfield");
      assert.equal(order?.cancelReason, undefined);
    });

    await t.step("follows status changes and a cancellation with its reason", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const shipped = placeOrder(s);
      const cancelled = placeOrder(s);
      s.changeStatus(shipped, "pending", "confirmed");
      s.changeStatus(shipped, "confirmed", "shipped");
      s.cancelOrder(cancelled, "pending", "changed my mind");
      await project(sql, ordersProjection, s.events);
      assert.equal((await getOrder(sql, shipped))?.status, "shipped");
      assert.equal((await getOrder(sql, shipped))?.version, 3);
      const order = await getOrder(sql, cancelled);
      assert.equal(order?.status, "cancelled");
      assert.equal(order?.cancelReason, "changed my mind");
    });

    await t.step("applying the same events again changes nothing", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = placeOrder(s);
      const b = placeOrder(s);
      s.changeStatus(a, "pending", "processing");
      s.cancelOrder(b, "pending", "out of stock");
      await project(sql, ordersProjection, s.events);
      const once = await snapshot(sql, ["orders"]);
      await project(sql, ordersProjection, s.events);
      await project(sql, ordersProjection, s.events.slice(2, 3));
      assert.equal(await snapshot(sql, ["orders"]), once);
      assert.equal((await getOrder(sql, a))?.status, "processing");
    });
  } finally {
    await db.drop();
  }
});
