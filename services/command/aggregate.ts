import type { CallContext } from "@shared/grpc/contract.ts";
import type { EventStore, RecordedEvent } from "@shared/event_store/mod.ts";

/** What the command service needs to know of an aggregate to run it. */
export interface Aggregate<S, C, E extends { type: string; data: Record<string, unknown> }> {
  /** Recorded as `aggregate_type`. */
  type: string;
  initialState: S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S): E[];
}

/** An aggregate's state with the stream version it was folded to. */
export interface Loaded<S> {
  state: S;
  version: number;
}

/** Folds a stream into the aggregate's state. */
export async function load<S, C, E extends { type: string; data: Record<string, unknown> }>(
  store: EventStore,
  aggregate: Aggregate<S, C, E>,
  streamId: string,
): Promise<Loaded<S>> {
  const events: RecordedEvent[] = await store.readStream(streamId);
  let state = aggregate.initialState;
  for (const event of events) state = aggregate.evolve(state, event as unknown as E);
  return { state, version: events.at(-1)?.version ?? 0 };
}

/** The outcome of a command, as the command RPCs return it. */
export interface CommandOutcome {
  id: string;
  version: number;
  transactionId: string;
  position: string;
}

/**
 * Runs one command against one aggregate: load, decide, append with the
 * loaded version as the expected one. The call's metadata goes into every
 * event's metadata, and its command id makes a retry return the first result.
 */
export async function execute<S, C, E extends { type: string; data: Record<string, unknown> }>(
  store: EventStore,
  aggregate: Aggregate<S, C, E>,
  streamId: string,
  command: (state: S) => C,
  context: CallContext,
): Promise<CommandOutcome> {
  const { state, version } = await load(store, aggregate, streamId);
  const events = aggregate.decide(command(state), state);
  const { commandId, consistencyToken: _, ...metadata } = context.metadata;
  const result = await store.append(
    streamId,
    events.map((e) => ({ type: e.type, data: e.data })),
    {
      aggregateType: aggregate.type,
      expectedVersion: version === 0 ? "no_stream" : version,
      metadata,
      ...(commandId ? { commandId } : {}),
    },
  );
  const last = result.positions.at(-1);
  return {
    id: streamId,
    version: result.nextVersion,
    transactionId: last?.transactionId ?? "0",
    position: last?.id ?? "0",
  };
}
