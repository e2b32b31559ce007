import { AppError, ForbiddenError } from "@shared/errors/mod.ts";
import type { Context } from "./context.ts";
import type { FeedEvent } from "./feed.ts";

/** What a subscriber is sent for one event: the entity as it may read it, or the error reading it. */
export type Seen<T> = { value: T } | { error: unknown };

/** Refusals that mean "not yours": the event is skipped, never reported. */
const HIDDEN = new Set(["FORBIDDEN", "NOT_FOUND"]);

/**
 * Refuses an order subscription to an anonymous caller: order changes go
 * only to their owner and to staff (docs/security.md).
 */
export function requireSignedIn(ctx: Context, field: string): void {
  if (ctx.principal) return;
  throw new ForbiddenError(`Cannot subscribe to ${field}: it needs a signed-in caller`);
}

/**
 * The events of `events` that the subscriber may see, each with the entity
 * `read` with the subscriber's own token: an event whose entity the query
 * service hides (another customer's order reads as not found) or refuses is
 * skipped, so nobody receives another customer's order. Any other failure
 * is passed on as an error; an expired or refused token ends the stream
 * after saying so.
 */
export function visibleTo<T>(
  events: AsyncIterableIterator<FeedEvent>,
  read: (event: FeedEvent) => Promise<T | null | undefined>,
): AsyncIterableIterator<Seen<T>> {
  let ended = false;
  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    ended = true;
    await events.return?.();
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<Seen<T>> = {
    async next(): Promise<IteratorResult<Seen<T>>> {
      while (!ended) {
        const next = await events.next();
        if (next.done) return { done: true, value: undefined };
        try {
          const value = await read(next.value);
          if (value != null) return { done: false, value: { value } };
        } catch (err) {
          if (err instanceof AppError && HIDDEN.has(err.code)) continue;
          if (err instanceof AppError && err.code === "UNAUTHENTICATED") await finish();
          return { done: false, value: { error: err } };
        }
      }
      return { done: true, value: undefined };
    },
    return: finish,
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The entity of a {@link Seen}, or its error thrown. */
export function seen<T>(item: Seen<T>): T {
  if ("error" in item) throw item.error;
  return item.value;
}
