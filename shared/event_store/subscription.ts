import type { Sql } from "@shared/db/connect.ts";
import type { EventStore } from "./store.ts";
import type { Position, RecordedEvent } from "./types.ts";

/** Options of {@link subscribe}. */
export interface SubscriptionOptions {
  /** Where to start: the position of the last event already handled. */
  from: Position;
  /** Handles one batch in global order; the next batch is read after it resolves. */
  handle: (events: RecordedEvent[]) => Promise<void>;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** Poll this often even without a wake-up, in milliseconds; default 500. */
  pollMs?: number;
  /** A connection for LISTEN (postgres.js opens a dedicated one); none means polling only. */
  listen?: Sql;
  /** Channel of the event store's wake-ups; default `events`. */
  channel?: string;
  /** Called when a batch fails; the batch is retried after `pollMs`. */
  onError?: (err: unknown) => void;
}

/** A running subscription. */
export interface Subscription {
  /** The position of the last event handled. */
  readonly position: Position;
  /** Stops after the batch in flight and releases the LISTEN connection. */
  stop(): Promise<void>;
}

/**
 * Follows the global event order gap-safely, batch after batch. It wakes on
 * NOTIFY and also polls, so a lost notification only delays an event.
 */
export async function subscribe(
  store: EventStore,
  options: SubscriptionOptions,
): Promise<Subscription> {
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 500;
  let position = options.from;
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = false;
  const poke = () => {
    pending = true;
    wake?.();
  };
  const listener = options.listen
    ? await options.listen.listen(options.channel ?? "events", poke, poke)
    : undefined;

  const loop = (async () => {
    while (!stopped) {
      pending = false;
      let read = 0;
      try {
        const events = await store.readAll(position, batchSize);
        read = events.length;
        if (read > 0) {
          await options.handle(events);
          position = events[read - 1]!.position;
        }
      } catch (err) {
        options.onError?.(err);
        read = 0;
      }
      if (read === batchSize || stopped) continue;
      if (pending) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  })();

  return {
    get position() {
      return position;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await listener?.unlisten();
    },
  };
}
