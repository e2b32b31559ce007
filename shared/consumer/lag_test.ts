import assert from "node:assert/strict";
import { EventStore, type Position } from "@shared/event_store/mod.ts";
import { createTestDatabases, watchedPool } from "@shared/testing/db.ts";
import { assertReadsLittle, tablePages } from "@shared/testing/plans.ts";
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

Deno.test("a consumer's reads near the head cost what they return, not the size of the event store", async () => {
  const db = await createTestDatabases();
  const watched = watchedPool(db.eventStoreUrl);
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
    const pages = await tablePages(db.eventStore, "events");
    assert.ok(pages > 500, `the table fills ${pages} pages`);
    const [stats] = await db.eventStore<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'events'`;
    assert.equal(stats!.n, 0, "the table has no statistics");

    const rows = await db.eventStore<{ transaction_id: string; id: string }[]>`
      SELECT transaction_id::text, id::text FROM events
      ORDER BY transaction_id DESC, id DESC LIMIT 1 OFFSET 5`;
    const nearHead: Position = { transactionId: rows[0]!.transaction_id, id: rows[0]!.id };

    // The statements as the consumer sends them, recorded with their parameters.
    const page = await new EventStore(watched.sql).readAllPage(nearHead, 1000);
    assert.equal(page.events.length, 5);
    assert.equal(page.unsettled, false);
    assert.equal((await measureLag(watched.sql, nearHead)).events, 5);
    await headPosition(watched.sql);
    const statements = watched.sent.filter((s) => /\bevents\b/.test(s.query));
    assert.equal(statements.length, 3, "a page, a lag measure and the head");

    await assertReadsLittle(db.eventStore, statements, { maxBlocks: pages / 20 });
  } finally {
    await watched.sql.end();
    await db.drop();
  }
});
