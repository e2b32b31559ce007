import { LRUCache } from "lru-cache";
import type { LoadedAggregate } from "@shared/event_store/mod.ts";

/**
 * The aggregate states this process folded, kept so that the next load of a
 * stream reads only the events after them instead of its snapshot and tail.
 *
 * The event store stays the record: every load still reads the stream from
 * the kept version on, so a write by another replica or process is folded in,
 * and the append's version check guards the rest. States are never changed
 * in place (deciders and evolve are pure), so one can be handed out again.
 *
 * The bound is on the events folded into the kept states, a measure of their
 * size that needs no serialising: a state's size grows with its events at
 * most. The least recently loaded go first.
 */
export class StateCache {
  readonly #states: LRUCache<string, LoadedAggregate<unknown>>;

  /** Keeps states of at most `maxEvents` events in all; a larger one is not kept. */
  constructor(readonly maxEvents: number) {
    this.#states = new LRUCache({
      maxSize: maxEvents,
      sizeCalculation: (loaded) => Math.max(1, loaded.version),
    });
  }

  /** The kept state of a stream folded as one aggregate type and state schema. */
  get<S>(key: string): LoadedAggregate<S> | undefined {
    return this.#states.get(key) as LoadedAggregate<S> | undefined;
  }

  /** Keeps a state, unless a later version of it is kept already. */
  keep<S>(key: string, loaded: LoadedAggregate<S>): void {
    if (loaded.version === 0) return;
    const kept = this.#states.peek(key);
    if (kept && kept.version > loaded.version) return;
    this.#states.set(key, loaded);
  }

  /** States kept, and the events folded into them. */
  get size(): { states: number; events: number } {
    return { states: this.#states.size, events: this.#states.calculatedSize };
  }
}
