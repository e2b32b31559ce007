import type { EventStore, RecordedEvent } from "@shared/event_store/mod.ts";
import { type Aggregate, AGGREGATES, type DomainEvent } from "@shared/application/aggregates.ts";

/** Most events one history answer holds; a longer stream is cut and marked truncated. */
export const HISTORY_LIMIT = 1000;

/**
 * The aggregate of a recorded type, if the domain has one: the command
 * side's own, so the history can never disagree with what a command decides.
 */
export function aggregateOf(
  aggregateType: string,
): Aggregate<unknown, DomainEvent, never, unknown> | undefined {
  return AGGREGATES.find((a) => a.type === aggregateType);
}

/** One event and the state after it. */
export interface HistoryStep {
  event: RecordedEvent;
  state: unknown;
}

/** A stream folded event by event. */
export interface History {
  aggregateType: string;
  steps: HistoryStep[];
  truncated: boolean;
}

/**
 * Reads a stream (upcast by the store) and folds it with its aggregate's
 * `evolve`, keeping the state after each event. Events of another aggregate
 * type in the stream leave the state as it is, as when a command loads it.
 */
export async function readHistory(store: EventStore, aggregateId: string): Promise<History> {
  const events = await store.readStream(aggregateId, { limit: HISTORY_LIMIT + 1 });
  const truncated = events.length > HISTORY_LIMIT;
  const kept = events.slice(0, HISTORY_LIMIT);
  const aggregateType = kept[0]?.aggregateType ?? "";
  const folding = aggregateOf(aggregateType);
  let state: unknown = folding ? folding.initialState : null;
  const steps = kept.map((event) => {
    if (folding && event.aggregateType === folding.type) {
      state = folding.evolve(state, event as unknown as DomainEvent);
    }
    return { event, state };
  });
  return { aggregateType, steps, truncated };
}

/**
 * The step a history stands at for a version or a moment (both given: the
 * earlier of the two); undefined before the first event.
 */
export function stepAsOf(
  steps: readonly HistoryStep[],
  asOf: { version?: number; at?: Date },
): HistoryStep | undefined {
  let found: HistoryStep | undefined;
  for (const step of steps) {
    if (asOf.version !== undefined && step.event.version > asOf.version) break;
    if (asOf.at !== undefined && step.event.createdAt > asOf.at) break;
    found = step;
  }
  return found;
}

/** JSON text of a state: bigints as decimal strings, so any state serialises. */
export function stateJson(state: unknown): string {
  return JSON.stringify(state ?? null, (_, v) => typeof v === "bigint" ? v.toString() : v);
}
