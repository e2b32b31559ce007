import assert from "node:assert/strict";
import type { Sql } from "@shared/db/connect.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, resetReadModel, Scenario, snapshot } from "@shared/testing/read_model.ts";
import { statisticsProjection } from "./projection.ts";
import {
  getCategoryProductStatistics,
  getCategoryStatistics,
  getOrderStats,
  getProductStatistics,
} from "./queries.ts";

const TABLES = [
  "stats_categories",
  "stats_products",
  "stats_category_products",
  "stats_orders",
  "stats_order_status",
];

function order(s: Scenario, total: string): string {
  return s.createOrder({
    customerId: crypto.randomUUID(),
    items: [{ productId: crypto.randomUUID(), productName: "X", quantity: 1, unitPrice: total }],
    subtotal: total,
    tax: "0.00",
    shipping: "0.00",
    total,
  });
}

/** Categories whose counters differ from a count of their products (archived ones apart). */
async function countersAdrift(sql: Sql): Promise<unknown[]> {
  const rows = await sql`
    SELECT coalesce(c.category_id, r.category_id) AS category_id, c.*, r.*
    FROM stats_category_products c
    FULL JOIN (
      SELECT category_id, count(*) FILTER (WHERE NOT archived) AS n,
        coalesce(sum(price_cents) FILTER (WHERE NOT archived), 0) AS price,
        coalesce(sum(stock) FILTER (WHERE NOT archived), 0) AS stock,
        count(*) FILTER (WHERE archived) AS archived
      FROM stats_products WHERE NOT deleted GROUP BY category_id) r
      ON r.category_id = c.category_id
    WHERE (c.product_count, c.price_sum_cents, c.stock_sum, c.archived_count)
      IS DISTINCT FROM (coalesce(r.n, 0), coalesce(r.price, 0), coalesce(r.stock, 0),
        coalesce(r.archived, 0))`;
  return [...rows];
}

Deno.test("statistics projection and queries", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  try {
    await t.step("are empty before any event, with prices unset", async () => {
      await resetReadModel(sql);
      assert.deepEqual(await getProductStatistics(sql), {
        count: 0,
        averagePrice: undefined,
        minPrice: undefined,
        maxPrice: undefined,
        totalStock: 0,
        archivedCount: 0,
      });
      assert.equal((await getCategoryStatistics(sql)).totalCategories, 0);
      const stats = await getOrderStats(sql);
      assert.equal(stats.totalRevenue, "0.00");
      assert.equal(stats.averageOrderValue, undefined);
    });

    await t.step("count live products, average half-up, min, max and stock", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B", a);
      s.createCategory("Empty");
      const p1 = s.createProduct("One", "10.00", a);
      const p2 = s.createProduct("Two", "10.01", a);
      const p3 = s.createProduct("Three", "0.01", b);
      const gone = s.createProduct("Gone", "999.00", b);
      s.setStock(p1, 5);
      s.setStock(p3, 2);
      s.setStock(gone, 100);
      s.deleteProduct(gone);
      s.changePrice(p2, "10.01", "20.01");
      await project(sql, statisticsProjection, s.events);
      assert.deepEqual(await getProductStatistics(sql), {
        count: 3,
        averagePrice: "10.01",
        minPrice: "0.01",
        maxPrice: "20.01",
        totalStock: 7,
        archivedCount: 0,
      });
      assert.deepEqual(await getCategoryProductStatistics(sql, a), {
        categoryId: a,
        categoryName: "A",
        productCount: 2,
        averagePrice: "15.01",
        minPrice: "10.00",
        maxPrice: "20.01",
      });
      assert.deepEqual(await getCategoryStatistics(sql), {
        totalCategories: 3,
        rootCategories: 2,
        maxDepth: 2,
        categoriesWithProducts: 2,
        emptyCategories: 1,
      });
      const mark = s.events.length;
      s.updateProduct(p1, { categoryId: b });
      s.reserve(p3, crypto.randomUUID(), 2, 0);
      await project(sql, statisticsProjection, s.log.since(mark));
      assert.equal((await getCategoryProductStatistics(sql, b)).productCount, 2);
      assert.equal((await getCategoryProductStatistics(sql, b)).maxPrice, "10.00");
      assert.equal((await getProductStatistics(sql)).totalStock, 5);
    });

    await t.step("count an archived product apart, and back in once restored", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const p1 = s.createProduct("One", "10.00", a);
      const p2 = s.createProduct("Two", "30.00", a);
      s.setStock(p1, 5);
      s.setStock(p2, 4);
      s.archiveProduct(p2);
      // Changes while archived are kept, but count only once it is restored.
      s.setStock(p2, 6, 4);
      s.updateProduct(p2, { categoryId: b, price: "40.00" });
      await project(sql, statisticsProjection, s.events);
      assert.deepEqual(await getProductStatistics(sql), {
        count: 1,
        averagePrice: "10.00",
        minPrice: "10.00",
        maxPrice: "10.00",
        totalStock: 5,
        archivedCount: 1,
      });
      assert.equal((await getCategoryProductStatistics(sql, b)).productCount, 0);
      assert.equal((await getCategoryStatistics(sql)).categoriesWithProducts, 1);

      const mark = s.events.length;
      s.restoreProduct(p2);
      await project(sql, statisticsProjection, s.log.since(mark));
      assert.deepEqual(await getProductStatistics(sql), {
        count: 2,
        averagePrice: "25.00",
        minPrice: "10.00",
        maxPrice: "40.00",
        totalStock: 11,
        archivedCount: 0,
      });
      assert.equal((await getCategoryProductStatistics(sql, b)).productCount, 1);
    });

    await t.step("archived products are counted in their category, wherever they go", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const c = s.createCategory("C");
      const p = s.createProduct("P", "5.00", a);
      const q = s.createProduct("Q", "7.00", a);
      const r = s.createProduct("R", "9.00", b);
      s.setStock(q, 2);
      s.archiveProduct(p);
      s.archiveProduct(q);
      s.archiveProduct(r);
      s.updateProduct(p, { categoryId: b });
      s.deleteCategory(a, { to: c, productIds: [q] });
      s.setStock(q, 3, 2);
      s.deleteProduct(r);
      await project(sql, statisticsProjection, s.events);
      assert.equal((await getProductStatistics(sql)).archivedCount, 2);
      assert.deepEqual(await countersAdrift(sql), []);
      const [counts] = await sql<{ b: string; c: string }[]>`
        SELECT (SELECT archived_count FROM stats_category_products WHERE category_id = ${b}) AS b,
          (SELECT archived_count FROM stats_category_products WHERE category_id = ${c}) AS c`;
      assert.deepEqual({ ...counts }, { b: "1", c: "1" });

      const mark = s.events.length;
      s.restoreProduct(q);
      s.updateProduct(p, { price: "6.00" });
      await project(sql, statisticsProjection, s.log.since(mark));
      assert.deepEqual(await getProductStatistics(sql), {
        count: 1,
        averagePrice: "7.00",
        minPrice: "7.00",
        maxPrice: "7.00",
        totalStock: 3,
        archivedCount: 1,
      });
      assert.deepEqual(await countersAdrift(sql), []);
    });

    await t.step("an unknown category has no name and no products", async () => {
      const id = crypto.randomUUID();
      assert.deepEqual(await getCategoryProductStatistics(sql, id), {
        categoryId: id,
        categoryName: undefined,
        productCount: 0,
        averagePrice: undefined,
        minPrice: undefined,
        maxPrice: undefined,
      });
    });

    await t.step("count orders by status and sum the revenue of those not cancelled", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = order(s, "100.00");
      order(s, "50.01");
      const c = order(s, "999.99");
      s.changeStatus(a, "pending", "confirmed");
      s.cancelOrder(c, "pending", "no longer needed");
      await project(sql, statisticsProjection, s.events);
      const stats = await getOrderStats(sql);
      assert.equal(stats.totalOrders, 3);
      const by = Object.fromEntries(stats.byStatus.map((x) => [x.status, x.count]));
      assert.deepEqual([by.pending, by.confirmed, by.cancelled, by.shipped], [1, 1, 1, 0]);
      assert.equal(stats.totalRevenue, "150.01");
      assert.equal(stats.averageOrderValue, "75.01");
    });

    await t.step("applying the same events again changes nothing", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const p = s.createProduct("P", "5.00", a);
      const q = s.createProduct("Q", "7.00", a);
      s.setStock(p, 3);
      s.updateProduct(p, { categoryId: b, price: "6.00" });
      s.archiveProduct(q);
      s.deleteProduct(q);
      const r = s.createProduct("R", "9.00", a);
      s.archiveProduct(r);
      s.restoreProduct(r);
      s.archiveProduct(r);
      s.deleteCategory(a, { to: b, productIds: [r] });
      const o = order(s, "10.00");
      s.changeStatus(o, "pending", "processing");
      await project(sql, statisticsProjection, s.events);
      const once = await snapshot(sql, TABLES);
      await project(sql, statisticsProjection, s.events);
      for (const e of s.events) await project(sql, statisticsProjection, [e]);
      assert.equal(await snapshot(sql, TABLES), once);
      assert.deepEqual(await countersAdrift(sql), []);
    });
  } finally {
    await db.drop();
  }
});
