import assert from "node:assert/strict";
import { createTestDatabases, watchedPool } from "@shared/testing/db.ts";
import { assertReadsLittle, tablePages } from "@shared/testing/plans.ts";
import {
  getCategoryProductStatistics,
  getCategoryStatistics,
  getOrderStats,
  getProductStatistics,
} from "./queries.ts";

Deno.test("every statistic reads a handful of rows, whatever the size of the catalogue", async () => {
  const db = await createTestDatabases();
  const watched = watchedPool(db.readModelUrl);
  try {
    // 30,000 products in 200 categories, 1 in 100 archived and 1 in 100 deleted; the counters
    // as the projection keeps them. Checked with and without the table's statistics.
    await db.readModel`ALTER TABLE stats_products SET (autovacuum_enabled = false)`;
    await db.readModel`
      INSERT INTO stats_categories (id, name, parent_id, depth, version)
      SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'c' || g, NULL, 1, 1
      FROM generate_series(1, 200) AS g`;
    await db.readModel`
      INSERT INTO stats_products (id, category_id, price_cents, stock, deleted, archived, version)
      SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad((1 + g % 200)::text, 12, '0'))::uuid,
        100 + g % 5000, g % 7, g % 100 = 1, g % 100 = 2, 1
      FROM generate_series(1, 30000) AS g`;
    await db.readModel`
      INSERT INTO stats_category_products (category_id, product_count, price_sum_cents, stock_sum,
        archived_count)
      SELECT category_id, count(*) FILTER (WHERE NOT archived),
        coalesce(sum(price_cents) FILTER (WHERE NOT archived), 0),
        coalesce(sum(stock) FILTER (WHERE NOT archived), 0), count(*) FILTER (WHERE archived)
      FROM stats_products WHERE NOT deleted GROUP BY category_id`;
    const pages = await tablePages(db.readModel, "stats_products");
    assert.ok(pages > 100, `stats_products fills ${pages} pages`);

    const statistics = await getProductStatistics(watched.sql);
    assert.equal(statistics.archivedCount, 300);
    assert.equal(statistics.count, 29_400);
    const category = "00000000-0000-4000-8000-000000000007";
    assert.equal((await getCategoryProductStatistics(watched.sql, category)).productCount, 150);
    assert.equal((await getCategoryStatistics(watched.sql)).totalCategories, 200);
    await getOrderStats(watched.sql);
    const statements = watched.sent.filter((s) => /\bstats_/.test(s.query));
    assert.equal(statements.length, 4);

    const limits = { maxBlocks: pages / 10, tables: ["stats_products"] };
    await assertReadsLittle(db.readModel, statements, { ...limits, label: "without statistics, " });
    await db.readModel`ANALYZE stats_products`;
    await assertReadsLittle(db.readModel, statements, { ...limits, label: "with statistics, " });
  } finally {
    await watched.sql.end();
    await db.drop();
  }
});
