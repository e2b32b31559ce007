import { createTestDatabases, type TestDatabases } from "./db.ts";
import { EventStore, type EventStoreOptions } from "@shared/event_store/store.ts";

/** A test body run against a migrated event store. */
export type StoreTest = (store: EventStore, db: TestDatabases) => Promise<void>;

/** Runs a test body against a fresh, migrated event store, then drops it. */
export async function withStore(body: StoreTest, options: EventStoreOptions = {}): Promise<void> {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore, options);
  try {
    await body(store, db);
  } finally {
    store.close();
    await db.drop();
  }
}

/**
 * One Deno test whose steps share a fresh database, emptied before each
 * step: creating and migrating a database costs more than most steps.
 */
export function storeSuite(
  name: string,
  steps: Record<string, StoreTest>,
  options: EventStoreOptions = {},
): void {
  Deno.test(name, async (t) => {
    await withStore(async (store, db) => {
      for (const [step, body] of Object.entries(steps)) {
        await db.eventStore`TRUNCATE events, streams, command_results, snapshots`;
        await t.step(step, () => body(store, db));
      }
    }, options);
  });
}

/** A new stream id. */
export function newId(): string {
  return crypto.randomUUID();
}

/**
 * Appends `count` events `Added {n}` to a `Counter` stream, numbered from
 * `from` (its version before them + 1), so that a fold of versions 1..v sums
 * to v(v+1)/2.
 */
export async function addNumbered(
  store: EventStore,
  id: string,
  from: number,
  count: number,
): Promise<void> {
  const events = Array.from(
    { length: count },
    (_, i) => ({ type: "Added", data: { n: from + i } }),
  );
  await store.append(id, events, {
    aggregateType: "Counter",
    expectedVersion: from === 1 ? "no_stream" : from - 1,
  });
}
