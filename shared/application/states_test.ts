import assert from "node:assert/strict";
import { EventStore, readSnapshot } from "@shared/event_store/mod.ts";
import { queries, watchedPool } from "@shared/testing/db.ts";
import { addNumbered, newId, storeSuite } from "@shared/testing/event_store.ts";
import { load } from "./aggregates.ts";
import { StateCache } from "./states.ts";

type Added = { type: "Added"; data: { n: number } };

/** Sums its events, and remembers every one: a state that grows with its stream. */
const counter = {
  type: "Counter",
  stateSchema: 1,
  initialState: null as { total: number; seen: number[] } | null,
  evolve: (state: { total: number; seen: number[] } | null, event: Added) => ({
    total: (state?.total ?? 0) + event.data.n,
    seen: [...(state?.seen ?? []), event.data.n],
  }),
};

/** The state of a stream of events 1..n. */
function expected(n: number) {
  const seen = Array.from({ length: n }, (_, i) => i + 1);
  return { total: (n * (n + 1)) / 2, seen };
}

storeSuite("load() with the process's kept states", {
  "folds in what another process appended since the state was kept": async (store, db) => {
    const states = new StateCache(10_000);
    const id = newId();
    await addNumbered(store, id, 1, 3);
    assert.deepEqual(await load({ store, states }, counter, id), {
      state: expected(3),
      version: 3,
    });
    // Another process (its own pool and store) appends behind this one's back.
    const other = new EventStore(db.eventStore);
    await addNumbered(other, id, 4, 2);
    assert.deepEqual(await load({ store, states }, counter, id), {
      state: expected(5),
      version: 5,
    });
    assert.deepEqual(await load({ store }, counter, id), { state: expected(5), version: 5 });
  },
  "a kept state is loaded by reading only the events after it, not the snapshot": async (
    _store,
    db,
  ) => {
    const { sql, sent } = watchedPool(db.eventStoreUrl);
    try {
      const store = new EventStore(sql);
      const states = new StateCache(10_000);
      const id = newId();
      await addNumbered(store, id, 1, 60); // a snapshot is saved at 60 on the first load
      await load({ store, states }, counter, id);
      assert.equal((await readSnapshot(store, id, 1))?.version, 60);
      await addNumbered(store, id, 61, 1);
      sent.length = 0;
      assert.deepEqual((await load({ store, states }, counter, id)).state, expected(61));
      assert.equal(sent.length, 1, queries(sent).join("\n---\n"));
      assert.doesNotMatch(sent[0]!.query, /snapshots/);
      assert.deepEqual(sent[0]!.params.slice(0, 2).map(String), [id, "61"]);
    } finally {
      await sql.end();
    }
  },
  "loads through kept states still save a snapshot every 50 events": async (store) => {
    const states = new StateCache(10_000);
    const id = newId();
    await addNumbered(store, id, 1, 10);
    await load({ store, states }, counter, id);
    assert.equal(await readSnapshot(store, id, 1), undefined);
    for (let v = 11; v <= 70; v += 10) {
      await addNumbered(store, id, v, 10);
      await load({ store, states }, counter, id);
    }
    // Loaded at 10, 20, …, 70: the first load at 50 or more events since none is the one saved.
    const snapshot = await readSnapshot(store, id, 1);
    assert.equal(snapshot?.version, 50);
    assert.deepEqual(snapshot.data, expected(50));
    // A process without kept states (a restart) starts from that snapshot.
    assert.deepEqual(await load({ store }, counter, id), { state: expected(70), version: 70 });
  },
  "a stream of another aggregate type folds to the initial state, kept or not": async (store) => {
    const states = new StateCache(10_000);
    const id = newId();
    await addNumbered(store, id, 1, 2);
    const asOther = { ...counter, type: "Other" };
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await load({ store, states }, asOther, id), { state: null, version: 2 });
      assert.deepEqual(await load({ store, states }, counter, id), {
        state: expected(2),
        version: 2,
      });
    }
  },
  "the bound: states of more events than it allows are not kept, the least recent go first": async (
    store,
  ) => {
    const states = new StateCache(100);
    const [small, other, large] = [newId(), newId(), newId()];
    await addNumbered(store, small, 1, 40);
    await addNumbered(store, other, 1, 40);
    await addNumbered(store, large, 1, 120);
    await load({ store, states }, counter, large);
    assert.deepEqual(states.size, { states: 0, events: 0 });
    await load({ store, states }, counter, small);
    await load({ store, states }, counter, other);
    assert.deepEqual(states.size, { states: 2, events: 80 });
    await addNumbered(store, small, 41, 30);
    await load({ store, states }, counter, small); // 70 + 40 > 100: `other` goes
    assert.deepEqual(states.size, { states: 1, events: 70 });
    assert.equal(states.get(`Counter:1:${other}`), undefined);
    assert.deepEqual(states.get(`Counter:1:${small}`)?.state, expected(70));
  },
  "an older state loaded late does not replace a newer one": async (store) => {
    const states = new StateCache(10_000);
    const id = newId();
    await addNumbered(store, id, 1, 5);
    await load({ store, states }, counter, id);
    const key = `Counter:1:${id}`;
    states.keep(key, { state: expected(3), version: 3, snapshotVersion: 0 });
    assert.equal(states.get(key)?.version, 5);
  },
});
