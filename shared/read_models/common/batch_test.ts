import assert from "node:assert/strict";
import { applyBatch, type EventHandlers, planBatch } from "./batch.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { EventLog } from "@shared/testing/read_model.ts";

type TestEvent =
  | { type: "Created"; data: { n: number } }
  | { type: "Stocked"; data: { n: number } }
  | { type: "Renamed"; data: { n: number } }
  | { type: "Counted"; data: { n: number } }
  | { type: "Recounted"; data: { n: number } };

const noop = () => Promise.resolve();
const handlers: EventHandlers<TestEvent> = {
  Created: { key: (e) => e.aggregateId, apply: noop },
  Stocked: { key: (e) => e.aggregateId, apply: noop },
  Renamed: { apply: noop },
  Counted: { key: (e) => e.aggregateId, latestWins: true, apply: noop },
  Recounted: { key: (e) => e.aggregateId, latestWins: true, apply: noop },
};

function plan(log: EventLog): string[] {
  return planBatch(log.events, handlers).map((s) =>
    `${s.type}:${s.events.map((e) => e.data.n).join(",")}`
  );
}

Deno.test("planBatch() groups the events of different entities into one step per type", () => {
  const log = new EventLog();
  for (const [n, id] of ["a", "b", "c"].entries()) {
    log.record("T", id, "Created", { n: 2 * n });
    log.record("T", id, "Stocked", { n: 2 * n + 1 });
  }
  assert.deepEqual(plan(log), ["Created:0,2,4", "Stocked:1,3,5"]);
});

Deno.test("planBatch() keeps an entity's events in order across layers", () => {
  const log = new EventLog();
  log.record("T", "a", "Stocked", { n: 0 });
  log.record("T", "a", "Created", { n: 1 });
  log.record("T", "b", "Created", { n: 2 });
  log.record("T", "a", "Stocked", { n: 3 });
  assert.deepEqual(plan(log), ["Stocked:0", "Created:2", "Created:1", "Stocked:3"]);
});

Deno.test("planBatch() applies a barrier alone, after what came before it", () => {
  const log = new EventLog();
  log.record("T", "a", "Created", { n: 0 });
  log.record("T", "x", "Renamed", { n: 1 });
  log.record("T", "b", "Created", { n: 2 });
  log.record("T", "c", "Created", { n: 3 });
  assert.deepEqual(plan(log), ["Created:0", "Renamed:1", "Created:2,3"]);
});

Deno.test("planBatch() skips event types it has no handler for", () => {
  const log = new EventLog();
  log.record("T", "a", "Unknown", { n: 0 });
  log.record("T", "a", "Created", { n: 1 });
  assert.deepEqual(plan(log), ["Created:1"]);
});

Deno.test("planBatch() keeps only each key's last event of a latest-wins handler", () => {
  const log = new EventLog();
  log.record("T", "a", "Counted", { n: 0 });
  log.record("T", "b", "Counted", { n: 1 });
  log.record("T", "c", "Created", { n: 2 });
  log.record("T", "a", "Recounted", { n: 3 });
  log.record("T", "b", "Counted", { n: 4 });
  log.record("T", "x", "Renamed", { n: 5 });
  log.record("T", "a", "Counted", { n: 6 });
  // Before the barrier: a's last is Recounted 3, b's Counted 4; after it, a's Counted 6.
  assert.deepEqual(plan(log), ["Created:2", "Recounted:3", "Counted:4", "Renamed:5", "Counted:6"]);
});

Deno.test("applyBatch() runs statements back to back in plan order, an apply after them, and throws the first failure", async () => {
  const db = await createTestDatabases();
  try {
    const sql = db.readModel;
    await sql`CREATE TABLE batch_rows (id text PRIMARY KEY, n int NOT NULL, seen int)`;
    const log: string[] = [];
    const handlers: EventHandlers<TestEvent> = {
      // Inserts; the next step's statement updates these rows, so it must run after.
      Created: {
        key: (e) => e.aggregateId,
        statement: (tx, events) =>
          tx`INSERT INTO batch_rows (id, n)
            SELECT * FROM unnest(${events.map((e) => e.aggregateId)}::text[],
              ${events.map((e) => e.data.n)}::int[])`,
      },
      Stocked: {
        key: (e) => e.aggregateId,
        statement: (tx, events) =>
          // 1 / 0 when n is 0: a statement that fails.
          tx`UPDATE batch_rows SET n = n + 100 / ${events[0]!.data.n}
            WHERE id = ANY(${events.map((e) => e.aggregateId)}::text[])`,
      },
      // A barrier that reads what the statements before it wrote.
      Renamed: {
        async apply(tx, [event]) {
          const [row] = await tx<{ count: number }[]>`SELECT count(*)::int FROM batch_rows`;
          log.push(`renamed ${event!.data.n} saw ${row!.count}`);
          await tx`UPDATE batch_rows SET seen = ${row!.count}`;
        },
      },
    };
    const good = new EventLog();
    good.record("T", "a", "Created", { n: 1 });
    good.record("T", "b", "Created", { n: 2 });
    good.record("T", "a", "Stocked", { n: 5 });
    good.record("T", "x", "Renamed", { n: 7 });
    good.record("T", "c", "Created", { n: 3 });
    await sql.begin((tx) => applyBatch(tx, good.events, handlers));
    assert.deepEqual(
      [...await sql`SELECT id, n, seen FROM batch_rows ORDER BY id`],
      [{ id: "a", n: 21, seen: 2 }, { id: "b", n: 2, seen: 2 }, { id: "c", n: 3, seen: null }],
    );
    assert.deepEqual(log, ["renamed 7 saw 2"]);

    // Created, then a Stocked that divides by zero, then another Created: the
    // division is the error thrown (not the aborted transaction after it), and
    // nothing of the batch is kept.
    const bad = new EventLog();
    bad.record("T", "d", "Created", { n: 4 });
    bad.record("T", "d", "Stocked", { n: 0 });
    bad.record("T", "e", "Created", { n: 5 });
    bad.record("T", "e", "Created", { n: 6 });
    // (Caught inside: postgres.js's begin() rejects with the transaction's first error anyway.)
    let thrown: unknown;
    await assert.rejects(sql.begin(async (tx) => {
      try {
        await applyBatch(tx, bad.events, handlers);
      } catch (err) {
        thrown = err;
        throw err;
      }
    }));
    assert.match(String(thrown), /division by zero/);
    assert.deepEqual(
      (await sql`SELECT id FROM batch_rows ORDER BY id`).map((r) => r.id),
      ["a", "b", "c"],
    );
  } finally {
    await db.drop();
  }
});
