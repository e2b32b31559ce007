import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { newId, withStore } from "@shared/testing/event_store.ts";
import { ConcurrencyError, EventStore, ORIGIN, type Position, type RecordedEvent } from "./mod.ts";

const T = { aggregateType: "T" };

/** Reads the global order from a position until `done()` and nothing more is settled. */
async function follow(
  store: EventStore,
  done: () => boolean,
  seen: RecordedEvent[],
): Promise<void> {
  let position: Position = ORIGIN;
  for (;;) {
    const finished = done();
    // As consumers read: the page with its unsettled check, in one statement.
    const { events: batch } = await store.readAllPage(position, 37);
    seen.push(...batch);
    if (batch.length > 0) position = batch.at(-1)!.position;
    else if (finished) return;
    else await new Promise((r) => setTimeout(r, 2));
  }
}

Deno.test("concurrent writers and a following reader: every event read once, in stream order", async () => {
  const db = await createTestDatabases();
  // Two stores on the same database stand for two command-service processes.
  const stores = [new EventStore(db.eventStore), new EventStore(db.eventStore)];
  try {
    const shared = Array.from({ length: 4 }, newId);
    const writers = 20;
    const rounds = 15;
    let running = writers;
    const seen: RecordedEvent[] = [];
    const reader = follow(stores[0]!, () => running === 0, seen);
    const outcomes = await Promise.allSettled(
      Array.from({ length: writers }, async (_, w) => {
        const store = stores[w % 2]!;
        const own = newId();
        for (let r = 0; r < rounds; r++) {
          const events = Array.from({ length: 1 + (r % 3) }, (_, i) => ({
            type: "E",
            data: { w, r, i },
          }));
          if (w % 4 === 0) {
            // Appends that commit late: the transaction stays open a while after its insert.
            await store.append(shared[r % 4]!, events, {
              ...T,
              expectedVersion: "any",
              effects: async (tx) => void await tx`SELECT pg_sleep(0.003)`,
            });
          } else if (w % 2 === 0) {
            await store.append(shared[(w + r) % 4]!, events, { ...T, expectedVersion: "any" });
          } else if (w % 3 === 0) {
            for (;;) {
              const stream = shared[(w + r) % 4]!;
              const version = await store.streamVersion(stream);
              try {
                await store.append(stream, events, { ...T, expectedVersion: version });
                break;
              } catch (err) {
                if (!(err instanceof ConcurrencyError)) throw err;
              }
            }
          } else {
            await store.append(own, events, {
              ...T,
              expectedVersion: r === 0 ? "no_stream" : "any",
            });
          }
        }
      }).map((p) => p.finally(() => running--)),
    );
    await reader;
    for (const o of outcomes) if (o.status === "rejected") throw o.reason;

    const stored = await db.eventStore<{ event_id: string }[]>`SELECT event_id FROM events`;
    const ids = seen.map((e) => e.eventId);
    assert.equal(new Set(ids).size, ids.length, "no event is read twice");
    assert.deepEqual(new Set(ids), new Set(stored.map((r) => r.event_id)), "none is skipped");
    const versions = new Map<string, number>();
    for (const event of seen) {
      const last = versions.get(event.aggregateId) ?? 0;
      assert.equal(event.version, last + 1, `stream ${event.aggregateId} is read in order`);
      versions.set(event.aggregateId, event.version);
    }
    for (const [stream, version] of versions) {
      assert.equal(await stores[0]!.streamVersion(stream), version);
    }
  } finally {
    for (const store of stores) store.close();
    await db.drop();
  }
});

Deno.test("racing writers on one stream: exactly one wins each version", async () => {
  const db = await createTestDatabases();
  const stores = [new EventStore(db.eventStore), new EventStore(db.eventStore)];
  try {
    const stream = newId();
    for (let version = 0; version < 8; version++) {
      const results = await Promise.allSettled(
        Array.from(
          { length: 16 },
          (_, w) =>
            stores[w % 2]!.append(stream, [{ type: "Won", data: { w } }], {
              ...T,
              expectedVersion: version === 0 ? "no_stream" : version,
            }),
        ),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, `one writer wins version ${version + 1}`);
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof ConcurrencyError);
          assert.equal(r.reason.actual, version + 1);
        }
      }
    }
    const events = await stores[0]!.readStream(stream);
    assert.deepEqual(events.map((e) => e.version), [1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    for (const store of stores) store.close();
    await db.drop();
  }
});

function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => open = resolve);
  return { wait, open };
}

Deno.test("a transaction rolled back midway leaves nothing visible and nothing skipped", async () => {
  await withStore(async (store, db) => {
    const other = new EventStore(db.eventStore);
    try {
      await other.append(newId(), [{ type: "Before", data: {} }], { ...T, expectedVersion: "any" });
      const first = await store.readAll(ORIGIN);
      assert.equal(first.length, 1);

      const held = gate();
      const entered = gate();
      const doomed = newId();
      const failing = store.append(doomed, [{ type: "Doomed", data: {} }], {
        ...T,
        expectedVersion: "no_stream",
        effects: async () => {
          entered.open();
          await held.wait;
          throw new Error("Rolled back on purpose");
        },
      });
      await entered.wait;
      // The open transaction has inserted its event; later ones commit meanwhile.
      for (let i = 0; i < 3; i++) {
        await other.append(newId(), [{ type: "After", data: { i } }], {
          ...T,
          expectedVersion: "any",
        });
      }
      assert.deepEqual(await store.readAll(first[0]!.position), [], "nothing passes the open one");
      held.open();
      await assert.rejects(failing, /Rolled back on purpose/);
      const rest = await store.readAll(first[0]!.position);
      assert.deepEqual(rest.map((e) => e.type), ["After", "After", "After"]);
      assert.equal(await store.streamVersion(doomed), 0);
      assert.deepEqual(await store.readStream(doomed), []);
    } finally {
      other.close();
    }
  });
});

Deno.test("a transaction that commits late is read, not skipped", async () => {
  await withStore(async (store, db) => {
    const other = new EventStore(db.eventStore);
    try {
      const held = gate();
      const entered = gate();
      const late = store.append(newId(), [{ type: "Late", data: {} }], {
        ...T,
        expectedVersion: "no_stream",
        effects: async () => {
          entered.open();
          await held.wait;
        },
      });
      await entered.wait;
      await other.append(newId(), [{ type: "Early", data: {} }], { ...T, expectedVersion: "any" });
      // The early event has a larger id, but a reader must not move past the late one.
      assert.deepEqual(await store.readAll(ORIGIN), []);
      // A consumer's read says the early one is committed, so it reads again soon.
      assert.deepEqual(await store.readAllPage(ORIGIN), { events: [], unsettled: true });
      held.open();
      await late;
      const all = await store.readAll(ORIGIN);
      assert.deepEqual(all.map((e) => e.type), ["Late", "Early"]);
      const page = await store.readAllPage(ORIGIN);
      assert.deepEqual(page.events, all);
      assert.equal(page.unsettled, false);
      const first = await store.readAllPage(ORIGIN, 1);
      assert.deepEqual(first.events.map((e) => e.type), ["Late"]);
      assert.equal(first.unsettled, false, "settled events past a full page are not unsettled");
    } finally {
      other.close();
    }
  });
});

Deno.test("one command id sent through two processes at once appends once, effects included", async () => {
  const db = await createTestDatabases();
  const stores = [new EventStore(db.eventStore), new EventStore(db.eventStore)];
  try {
    await db.eventStore`CREATE TABLE claims (command_id uuid NOT NULL)`;
    const stream = newId();
    const commandId = newId();
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) =>
          stores[i % 2]!.append(stream, [{ type: "Once", data: {} }], {
            ...T,
            expectedVersion: "any",
            commandId,
            effects: async (tx) => void await tx`INSERT INTO claims VALUES (${commandId})`,
          }),
      ),
    );
    assert.equal(results.filter((r) => !r.duplicate).length, 1);
    for (const r of results) assert.deepEqual(r.positions, results[0]!.positions);
    assert.equal(await stores[0]!.streamVersion(stream), 1);
    const claims = await db.eventStore`SELECT count(*)::int AS n FROM claims`;
    assert.equal(claims[0]!.n, 1);
  } finally {
    for (const store of stores) store.close();
    await db.drop();
  }
});
