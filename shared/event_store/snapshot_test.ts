import assert from "node:assert/strict";
import { addNumbered, newId, storeSuite } from "@shared/testing/event_store.ts";
import {
  type AggregateDefinition,
  loadAggregate,
  readSnapshot,
  type RecordedEvent,
} from "./mod.ts";

interface Counter {
  total: number;
  history: number[];
}

const counter: AggregateDefinition<Counter> = {
  initialState: { total: 0, history: [] },
  evolve: (state, event: RecordedEvent) => {
    const n = event.data.n as number;
    return { total: state.total + n, history: [...state.history.slice(-4), n] };
  },
  stateSchema: 1,
  snapshotEvery: 10,
};

storeSuite("loadAggregate() and snapshots", {
  "loadAggregate() gives the same state with and without snapshots": async (store) => {
    const id = newId();
    // A schema no snapshot was taken at, and no saving: a fold from the first event.
    const noSnapshots = { ...counter, stateSchema: 99, snapshotEvery: 0 };
    let next = 1;
    for (const count of [3, 9, 1, 14, 7, 25]) {
      await addNumbered(store, id, next, count);
      next += count;
      const withSnapshots = await loadAggregate(store, id, counter);
      const fromScratch = await loadAggregate(store, id, noSnapshots);
      assert.deepEqual(withSnapshots.state, fromScratch.state);
      assert.equal(withSnapshots.version, next - 1);
      assert.equal(fromScratch.snapshotVersion, 0);
    }
    const snapshot = await readSnapshot(store, id, 1);
    assert.ok(snapshot && snapshot.version > 0, "a snapshot was taken");
    const loaded = await loadAggregate(store, id, counter);
    assert.equal(loaded.snapshotVersion, snapshot.version);
  },
  "loadAggregate() snapshots every N events, and only then": async (store) => {
    const id = newId();
    await addNumbered(store, id, 1, 9);
    await loadAggregate(store, id, counter);
    assert.equal(await readSnapshot(store, id, 1), undefined, "9 events: no snapshot yet");
    await addNumbered(store, id, 10, 1);
    await loadAggregate(store, id, counter);
    assert.equal((await readSnapshot(store, id, 1))?.version, 10);
    await addNumbered(store, id, 11, 5);
    const loaded = await loadAggregate(store, id, counter);
    assert.equal(loaded.snapshotVersion, 10);
    assert.equal((await readSnapshot(store, id, 1))?.version, 10, "5 more events: same snapshot");
  },
  "loadAggregate() from a snapshot at the stream's head: the snapshot's state, no event": async (
    store,
  ) => {
    const id = newId();
    await addNumbered(store, id, 1, 10);
    const first = await loadAggregate(store, id, counter);
    assert.equal((await readSnapshot(store, id, 1))?.version, 10);
    // Nothing follows the snapshot: the state must come from it alone.
    const again = await loadAggregate(store, id, counter);
    assert.deepEqual(again, { state: first.state, version: 10, snapshotVersion: 10 });
    const read = await store.readFromSnapshot(id, 1);
    assert.equal(read.snapshot?.version, 10);
    assert.deepEqual(read.events, []);
    await addNumbered(store, id, 11, 2);
    const after = await store.readFromSnapshot(id, 1);
    assert.equal(after.snapshot?.version, 10);
    assert.deepEqual(after.events.map((e) => e.version), [11, 12]);
    assert.deepEqual((await store.readFromSnapshot(id, 7)).snapshot, undefined);
    assert.equal((await store.readFromSnapshot(id, 7)).events.length, 12);
  },
  "loadAggregate() ignores snapshots of another state schema": async (store) => {
    const id = newId();
    await addNumbered(store, id, 1, 12);
    await loadAggregate(store, id, counter);
    assert.equal((await readSnapshot(store, id, 1))?.version, 12);

    // The state's shape changed: a total as a string, and a schema bump.
    const v2: AggregateDefinition<{ total: string }> = {
      initialState: { total: "0" },
      evolve: (s, e: RecordedEvent) => ({ total: String(Number(s.total) + (e.data.n as number)) }),
      stateSchema: 2,
      snapshotEvery: 100,
    };
    const loaded = await loadAggregate(store, id, v2);
    assert.equal(loaded.snapshotVersion, 0, "the v1 snapshot is not used");
    assert.deepEqual(loaded.state, { total: String((12 * 13) / 2) });

    // A v2 snapshot of a later version replaces the v1 one, which nothing reads any more.
    await addNumbered(store, id, 13, 8);
    await loadAggregate(store, id, { ...v2, snapshotEvery: 5 });
    assert.equal((await readSnapshot(store, id, 2))?.version, 20);
    assert.equal(await readSnapshot(store, id, 1), undefined);
  },
  "loadAggregate() of a missing stream gives the initial state at version 0": async (store) => {
    const loaded = await loadAggregate(store, newId(), counter);
    assert.deepEqual(loaded, { state: counter.initialState, version: 0, snapshotVersion: 0 });
  },
});
