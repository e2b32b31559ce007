import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { ConcurrencyError, EventStore, ORIGIN } from "./mod.ts";

Deno.test("append() enforces the expected version and reads back in order", async () => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore);
  try {
    const id = crypto.randomUUID();
    const first = await store.append(id, [{ type: "A", data: { n: 1 } }], {
      aggregateType: "T",
      expectedVersion: "no_stream",
    });
    assert.equal(first.nextVersion, 1);
    await assert.rejects(
      store.append(id, [{ type: "A", data: { n: 2 } }], {
        aggregateType: "T",
        expectedVersion: "no_stream",
      }),
      (err: unknown) => err instanceof ConcurrencyError && err.actual === 1,
    );
    await store.append(id, [{ type: "B", data: { n: 2 } }], {
      aggregateType: "T",
      expectedVersion: 1,
    });
    const events = await store.readStream(id);
    assert.deepEqual(events.map((e) => [e.type, e.version]), [["A", 1], ["B", 2]]);
    const all = await store.readAll(ORIGIN);
    assert.equal(all.length, 2);
  } finally {
    store.close();
    await db.drop();
  }
});

Deno.test("append() with a repeated command id returns the first result and appends nothing", async () => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore);
  try {
    const id = crypto.randomUUID();
    const commandId = crypto.randomUUID();
    const options = { aggregateType: "T", expectedVersion: "any" as const, commandId };
    const first = await store.append(id, [{ type: "A", data: {} }], options);
    const again = await store.append(id, [{ type: "A", data: {} }], options);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.positions, first.positions);
    assert.equal((await store.readStream(id)).length, 1);
  } finally {
    store.close();
    await db.drop();
  }
});
