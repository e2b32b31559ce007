import assert from "node:assert/strict";
import type { Command } from "@shared/application/command.ts";
import { envelopeOf } from "@shared/application/envelope.ts";
import { execute } from "@shared/application/pipeline.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { createTestDatabases, watchedPool } from "@shared/testing/db.ts";
import { assertReadsLittle, tablePages } from "@shared/testing/plans.ts";
import { commandDeps } from "./deps.ts";
import { createCategory } from "./handlers/category.ts";
import { setStock } from "./handlers/inventory.ts";
import { createProduct, deleteProduct, updateProduct } from "./handlers/product.ts";

/** Runs a command as an admin would send it: the pipeline from the envelope on. */
function run<I>(
  deps: ReturnType<typeof commandDeps>,
  command: Command<ReturnType<typeof commandDeps>, I>,
  input: I,
) {
  const actor = { subject: "plans", roles: ["admin" as const] };
  const at = new Date().toISOString();
  return execute(
    deps,
    command as never,
    input,
    envelopeOf({ at, actor, metadata: {} }, command.rpc.key, input),
  );
}

const LARGE = ["events", "streams", "command_results"];

Deno.test("a product's commands read what they need, not the whole event store", async () => {
  const db = await createTestDatabases();
  const watched = watchedPool(db.eventStoreUrl);
  const store = new EventStore(watched.sql, { upcasters });
  try {
    // 30,000 streams of one event each, and as many stored command results, in 100
    // transactions; no statistics on the tables, so the planner guesses.
    for (const table of LARGE) {
      await db.eventStore.unsafe(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    for (let t = 0; t < 100; t++) {
      await db.eventStore`
        WITH s AS (
          INSERT INTO streams (aggregate_id, aggregate_type, version)
          SELECT gen_random_uuid(), 'Note', 1 FROM generate_series(1, 300)
          RETURNING aggregate_id),
        c AS (
          INSERT INTO command_results (command_id, result)
          SELECT gen_random_uuid(), '[]'::jsonb FROM generate_series(1, 300))
        INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
                            event_version)
        SELECT gen_random_uuid(), aggregate_id, 'Note', 'Noted', '{}'::jsonb, 1 FROM s`;
    }
    const pages = Math.min(...await Promise.all(LARGE.map((t) => tablePages(db.eventStore, t))));
    assert.ok(pages > 100, `the smallest of them fills ${pages} pages`);

    const deps = commandDeps(store);
    const { id: categoryId } = await run(deps, createCategory, { name: "Shoes" });

    const before = watched.sent.length;
    const { id } = await run(deps, createProduct, { name: "Boot", price: "9.99", categoryId });
    await run(deps, updateProduct, { id, price: "10.50" });
    await run(deps, setStock, { productId: id, quantity: 4 });
    await run(deps, deleteProduct, { id });
    // Not the client's own lookup of the server's types.
    const statements = watched.sent.slice(before).filter((s) => !/\bpg_catalog\./.test(s.query));
    assert.ok(statements.length >= 8, `${statements.length} statements`);

    await assertReadsLittle(db.eventStore, statements, { maxBlocks: pages / 10, tables: LARGE });
  } finally {
    store.close();
    await watched.sql.end();
    await db.drop();
  }
});
