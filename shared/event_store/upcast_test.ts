import assert from "node:assert/strict";
import { newId, withStore } from "@shared/testing/event_store.ts";
import { ORIGIN, UnknownEventError, upcast, type Upcasters } from "./mod.ts";

/** A test-only event whose price went from a number of cents (v1) to a decimal string (v2). */
const upcasters: Upcasters = {
  ThingPriced: {
    current: 2,
    steps: {
      1: ({ cents, ...rest }) => ({ ...rest, price: ((cents as number) / 100).toFixed(2) }),
    },
  },
  ThingAdded: { current: 1, renamedTo: { type: "ThingCreated", schemaVersion: 1 } },
  ThingCreated: { current: 2, steps: { 1: (data) => ({ ...data, tags: [] }) } },
};

Deno.test("upcast() lifts an old version through each step", () => {
  const lifted = upcast(upcasters, {
    type: "ThingPriced",
    schemaVersion: 1,
    data: { cents: 1999 },
  });
  assert.deepEqual(lifted, {
    type: "ThingPriced",
    schemaVersion: 2,
    data: { price: "19.99" },
  });
});

Deno.test("upcast() follows a rename, then the new type's chain", () => {
  const lifted = upcast(upcasters, { type: "ThingAdded", schemaVersion: 1, data: { name: "x" } });
  assert.deepEqual(lifted, {
    type: "ThingCreated",
    schemaVersion: 2,
    data: { name: "x", tags: [] },
  });
});

Deno.test("upcast() refuses versions and types it cannot read, with a clear error", () => {
  assert.throws(
    () => upcast(upcasters, { type: "ThingPriced", schemaVersion: 3, data: {} }),
    (err: unknown) =>
      err instanceof UnknownEventError &&
      err.message === 'Cannot read event "ThingPriced" v3: the newest known version is v2',
  );
  const gap: Upcasters = { X: { current: 3, steps: { 2: (d) => d } } };
  assert.throws(
    () => upcast(gap, { type: "X", schemaVersion: 1, data: {} }),
    /Cannot read event "X" v1: no upcaster to v2/,
  );
  assert.deepEqual(upcast(upcasters, { type: "Other", schemaVersion: 7, data: {} }).type, "Other");
  assert.throws(
    () =>
      upcast(upcasters, { type: "Other", schemaVersion: 1, data: {} }, {
        rejectUnknownTypes: true,
      }),
    /Cannot read event "Other": no upcaster knows this type/,
  );
  const cycle: Upcasters = {
    A: { current: 1, renamedTo: { type: "B", schemaVersion: 1 } },
    B: { current: 1, renamedTo: { type: "A", schemaVersion: 1 } },
  };
  assert.throws(() => upcast(cycle, { type: "A", schemaVersion: 1, data: {} }), /form a cycle/);
});

Deno.test("reads lift rows stored in an old shape; new appends store the current version", async () => {
  await withStore(async (store, db) => {
    const id = newId();
    // Rows as the v1 code wrote them.
    await db
      .eventStore`INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES (${id}, 'Thing', 2)`;
    await db.eventStore`
      INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data, event_version, schema_version)
      VALUES (${newId()}, ${id}, 'Thing', 'ThingAdded', '{"name": "lamp"}', 1, 1),
             (${newId()}, ${id}, 'Thing', 'ThingPriced', '{"cents": 1250}', 2, 1)`;
    await store.append(id, [{ type: "ThingPriced", data: { price: "13.00" } }], {
      aggregateType: "Thing",
      expectedVersion: 2,
    });
    const events = await store.readStream(id);
    assert.deepEqual(events.map((e) => [e.type, e.schemaVersion, e.data]), [
      ["ThingCreated", 2, { name: "lamp", tags: [] }],
      ["ThingPriced", 2, { price: "12.50" }],
      ["ThingPriced", 2, { price: "13.00" }],
    ]);
    const stored = await db.eventStore`SELECT schema_version FROM events WHERE event_version = 3`;
    assert.equal(stored[0]!.schema_version, 2);
    assert.equal((await store.readAll(ORIGIN)).length, 3);
  }, { upcasters });
});

Deno.test("a stored event no upcaster can read surfaces as an error, never dropped", async () => {
  await withStore(async (store, db) => {
    const id = newId();
    await db.eventStore`
      INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data, event_version, schema_version)
      VALUES (${newId()}, ${id}, 'Thing', 'ThingPriced', '{}', 1, 9)`;
    await assert.rejects(store.readStream(id), UnknownEventError);
    await assert.rejects(store.readAll(ORIGIN), UnknownEventError);
  }, { upcasters });
});

Deno.test("with rejectUnknownTypes, a type no upcaster lists surfaces as an error", async () => {
  await withStore(async (store) => {
    const id = newId();
    await store.append(id, [{ type: "Mystery", data: {} }], {
      aggregateType: "Thing",
      expectedVersion: "any",
    });
    await assert.rejects(store.readStream(id), /Cannot read event "Mystery"/);
  }, { upcasters, rejectUnknownTypes: true });
});
