import type { EventStore } from "./store.ts";
import type { RecordedEvent } from "./types.ts";

/** How to fold one aggregate, and how often to snapshot it. */
export interface AggregateDefinition<S, E = RecordedEvent> {
  initialState: S;
  evolve: (state: S, event: E) => S;
  /**
   * Version of the state's shape. Bump it whenever the shape changes:
   * snapshots taken at another version are then ignored.
   */
  stateSchema: number;
  /** Save a snapshot once this many events follow the last one; default 100; 0 never saves. */
  snapshotEvery?: number;
  /** Turns the stored JSON back into state (e.g. a zod parse); default as stored. */
  fromSnapshot?: (data: unknown) => S;
  /** Turns state into JSON for the snapshot; default as is. */
  toSnapshot?: (state: S) => unknown;
}

/** An aggregate's state, the stream version it was folded to and its latest snapshot's. */
export interface LoadedAggregate<S> {
  state: S;
  /** Stream version folded to; 0 when the stream does not exist. */
  version: number;
  /** Version of the stream's latest snapshot at this state schema, once loaded; 0: none. */
  snapshotVersion: number;
}

/** A stored snapshot. */
export interface Snapshot {
  /** The snapshot's JSON, as `toSnapshot` made it. */
  data: unknown;
  version: number;
}

/** The latest snapshot of a stream taken at this state schema, if any. */
export async function readSnapshot(
  store: EventStore,
  streamId: string,
  stateSchema: number,
): Promise<Snapshot | undefined> {
  const rows = await store.sql<{ data: { state: unknown }; version: number }[]>`
    SELECT snapshot_data AS data, snapshot_version AS version FROM snapshots
    WHERE aggregate_id = ${streamId} AND state_schema = ${stateSchema}
    ORDER BY snapshot_version DESC LIMIT 1`;
  const row = rows[0];
  return row ? { data: row.data.state, version: row.version } : undefined;
}

/**
 * Stores a snapshot of a stream at a version, and drops its snapshots of
 * older versions, whatever their state schema: one of another schema is of
 * no use to this code, and one of a newer code's schema is replaced by that
 * code's next save. Saving the same version twice is a no-op.
 */
export async function saveSnapshot(
  store: EventStore,
  streamId: string,
  snapshot: Snapshot & { aggregateType: string; stateSchema: number },
): Promise<void> {
  const data = store.sql.json({ state: snapshot.data } as never);
  await store.sql`
    WITH saved AS (
      INSERT INTO snapshots (aggregate_id, aggregate_type, snapshot_data, snapshot_version, state_schema)
      VALUES (${streamId}, ${snapshot.aggregateType}, ${data}, ${snapshot.version},
        ${snapshot.stateSchema})
      ON CONFLICT DO NOTHING
    )
    DELETE FROM snapshots
    WHERE aggregate_id = ${streamId} AND snapshot_version < ${snapshot.version}`;
}

/**
 * Loads an aggregate: its latest snapshot of the current state schema plus
 * the events after it. When `snapshotEvery` events or more followed the
 * snapshot, a new one is saved at the loaded version.
 */
export async function loadAggregate<S, E = RecordedEvent>(
  store: EventStore,
  streamId: string,
  definition: AggregateDefinition<S, E>,
): Promise<LoadedAggregate<S>> {
  // The snapshot and the events after it in one round trip: a load is on every command's path.
  const { snapshot, events } = await store.readFromSnapshot(streamId, definition.stateSchema);
  const from = snapshot?.version ?? 0;
  const state = snapshot
    ? (definition.fromSnapshot ? definition.fromSnapshot(snapshot.data) : snapshot.data as S)
    : definition.initialState;
  return await foldOnto(store, streamId, definition, {
    state,
    version: from,
    snapshotVersion: from,
  }, events);
}

/**
 * Folds a stream's events onto a state it was loaded to before (from a
 * snapshot, from scratch, or kept in memory), and saves a snapshot at the new
 * version when `snapshotEvery` events or more follow the last one.
 */
export async function foldOnto<S, E = RecordedEvent>(
  store: EventStore,
  streamId: string,
  definition: AggregateDefinition<S, E>,
  start: LoadedAggregate<S>,
  events: readonly RecordedEvent[],
): Promise<LoadedAggregate<S>> {
  let state = start.state;
  for (const event of events) state = definition.evolve(state, event as unknown as E);
  const last = events.at(-1);
  const version = last?.version ?? start.version;
  const every = definition.snapshotEvery ?? 100;
  if (!last || every <= 0 || version - start.snapshotVersion < every) {
    return { state, version, snapshotVersion: start.snapshotVersion };
  }
  await saveSnapshot(store, streamId, {
    data: definition.toSnapshot ? definition.toSnapshot(state) : state,
    version,
    aggregateType: last.aggregateType,
    stateSchema: definition.stateSchema,
  });
  return { state, version, snapshotVersion: version };
}
