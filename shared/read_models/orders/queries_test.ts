import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, Scenario } from "@shared/testing/read_model.ts";
import { ordersProjection } from "./projection.ts";
import { getOrder, getOrdersByCustomer, getOrdersByStatus, listOrders } from "./queries.ts";

Deno.test("order queries", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  const s = new Scenario();
  const alice = crypto.randomUUID(), bob = crypto.randomUUID();
  const place = (customerId: string) =>
    s.createOrder({
      customerId,
      items: [{ productId: crypto.randomUUID(), productName: "X", quantity: 1, unitPrice: "1.00" }],
      subtotal: "1.00",
      tax: "0.10",
      shipping: "500.00",
      total: "501.10",
    });
  const aliceOrders = Array.from({ length: 5 }, () => place(alice));
  const bobOrder = place(bob);
  s.changeStatus(aliceOrders[0]!, "pending", "confirmed");
  s.cancelOrder(bobOrder, "pending", "duplicate");
  try {
    await project(sql, ordersProjection, s.events);

    await t.step("listOrders() pages newest first", async () => {
      const page = await listOrders(sql, { perPage: 4 });
      assert.equal(page.items[0]?.id, bobOrder);
      assert.deepEqual(page.pageInfo, { page: 1, perPage: 4, totalCount: 6, hasNext: true });
      const last = await listOrders(sql, { page: 2, perPage: 3 });
      assert.deepEqual(last.pageInfo.hasNext, false);
      assert.equal(last.items.at(-1)?.id, aliceOrders[0]);
    });

    await t.step("getOrdersByCustomer() and getOrdersByStatus() filter", async () => {
      const mine = await getOrdersByCustomer(sql, { customerId: alice });
      assert.equal(mine.pageInfo.totalCount, 5);
      assert.ok(mine.items.every((o) => o.customerId === alice));
      const cancelled = await getOrdersByStatus(sql, { status: "cancelled" });
      assert.deepEqual(cancelled.items.map((o) => o.id), [bobOrder]);
      const none = await getOrdersByStatus(sql, { status: "shipped" });
      assert.deepEqual(none.pageInfo, { page: 1, perPage: 20, totalCount: 0, hasNext: false });
    });

    await t.step("getOrder() of an unknown id is undefined", async () => {
      assert.equal(await getOrder(sql, crypto.randomUUID()), undefined);
    });
  } finally {
    await db.drop();
  }
});
