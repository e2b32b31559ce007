import assert from "node:assert/strict";
import { openPostgres, type Sql } from "@shared/db/connect.ts";
import { EventStore, type Position } from "@shared/event_store/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { headPosition, measureLag } from "./lag.ts";

Deno.test("headPosition is the last event of the global order, and measureLag counts what follows a position", async () => {
  const db = await createTestDatabases();
  try {
    const store = new EventStore(db.eventStore);
    assert.deepEqual(await headPosition(db.eventStore), { transactionId: "0", id: "0" });
    await store.append(crypto.randomUUID(), [{ type: "Noted", data: { i: 0 } }], {
      aggregateType: "Note",
      expectedVersion: "no_stream",
    });
    // One transaction of 120 events: ids past 99, where an order of strings goes wrong.
    await store.append(
      crypto.randomUUID(),
      Array.from({ length: 120 }, (_, i) => ({ type: "Noted", data: { i: i + 1 } })),
      { aggregateType: "Note", expectedVersion: "no_stream" },
    );
    const all = await store.readAll({ transactionId: "0", id: "0" }, 1000);
    assert.equal(all.length, 121);
    assert.deepEqual(await headPosition(db.eventStore), all.at(-1)!.position);

    const fromFirst = await measureLag(db.eventStore, all[0]!.position);
    assert.equal(fromFirst.events, 120);
    assert.ok(fromFirst.seconds >= 0);
    assert.deepEqual(await measureLag(db.eventStore, all.at(-1)!.position), {
      events: 0,
      seconds: 0,
    });
    assert.equal((await measureLag(db.eventStore, all[60]!.position)).events, 60);
  } finally {
    await db.drop();
  }
});

interface Sent {
  query: string;
  params: unknown[];
}

/** Every plan node of an EXPLAIN (FORMAT JSON) plan, depth first. */
function nodes(plan: Record<string, unknown>): Record<string, unknown>[] {
  const children = (plan["Plans"] ?? []) as Record<string, unknown>[];
  return [plan, ...children.flatMap(nodes)];
}

Deno.test("a consumer's reads near the head cost what they return, not the size of the event store", async () => {
  const db = await createTestDatabases();
  const sent: Sent[] = [];
  let watched: Sql | undefined;
  try {
    // 30,000 events in 100 transactions, and no statistics on the table: autovacuum is off for it
    // (as on a server where it is off, or before its first run), so the planner guesses.
    await db.eventStore`ALTER TABLE events SET (autovacuum_enabled = false)`;
    for (let t = 0; t < 100; t++) {
      await db.eventStore`
        INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
                            event_version)
        SELECT gen_random_uuid(), gen_random_uuid(), 'Note', 'Noted', jsonb_build_object('i', g), 1
        FROM generate_series(1, 300) AS g`;
    }
    const [size] = await db.eventStore<{ pages: number }[]>`
      SELECT (pg_relation_size('events') / current_setting('block_size')::int)::int AS pages`;
    const pages = size!.pages;
    assert.ok(pages > 500, `the table fills ${pages} pages`);
    const [stats] = await db.eventStore<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'events'`;
    assert.equal(stats!.n, 0, "the table has no statistics");

    const rows = await db.eventStore<{ transaction_id: string; id: string }[]>`
      SELECT transaction_id::text, id::text FROM events
      ORDER BY transaction_id DESC, id DESC LIMIT 1 OFFSET 5`;
    const nearHead: Position = { transactionId: rows[0]!.transaction_id, id: rows[0]!.id };

    // The statements as the consumer sends them, recorded from the client with their parameters.
    watched = openPostgres(db.eventStoreUrl, {
      max: 1,
      debug: (_c: number, query: string, params: unknown[]) => void sent.push({ query, params }),
    });
    const store = new EventStore(watched);
    const page = await store.readAllPage(nearHead, 1000);
    assert.equal(page.events.length, 5);
    assert.equal(page.unsettled, false);
    assert.equal((await measureLag(watched, nearHead)).events, 5);
    await headPosition(watched);
    const statements = sent.filter((s) => /\bevents\b/.test(s.query));
    assert.equal(statements.length, 3, "a page, a lag measure and the head");

    for (const mode of ["force_custom_plan", "force_generic_plan"]) {
      await db.eventStore.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL plan_cache_mode = ${mode}`);
        for (const { query, params } of statements) {
          const [row] = await tx.unsafe<{ "QUERY PLAN": Record<string, unknown>[] }[]>(
            `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`,
            params as never[],
          );
          const plan = row!["QUERY PLAN"][0]!["Plan"] as Record<string, unknown>;
          const all = nodes(plan);
          const what = `${mode}: ${query.replace(/\s+/g, " ").slice(0, 90)}…`;
          assert.deepEqual(
            all.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]),
            [],
            `${what} scans no table whole`,
          );
          const blocks = Number(plan["Shared Hit Blocks"]) + Number(plan["Shared Read Blocks"]);
          assert.ok(blocks < pages / 20, `${what} reads ${blocks} blocks of ${pages}`);
        }
      });
    }
  } finally {
    await watched?.end();
    await db.drop();
  }
});
