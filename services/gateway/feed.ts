import { connect, type Sql } from "@shared/db/connect.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import type { Position } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { trackSubscription } from "@shared/observability/mod.ts";
import { reached } from "@shared/projection/consistency.ts";
import {
  type ChangedEvent,
  type ChangeNotice,
  followChanges,
} from "@shared/projection/change_feed.ts";

/** An event of the change feed with the projection that applied it. */
export interface FeedEvent extends ChangedEvent {
  projection: string;
}

/** Thrown into a subscription whose consumer fell too far behind. */
export class SlowSubscriberError extends UnavailableError {
  override readonly name = "SlowSubscriberError";
}

/**
 * Thrown into every subscription when the feed's LISTEN connection was down
 * while a projection moved on: the notices of that time are lost, so a
 * subscriber may have missed changes. It should re-read and subscribe again.
 */
export class MissedChangesError extends UnavailableError {
  override readonly name = "MissedChangesError";
}

/**
 * The gateway's view of the read model's change feed: the current position
 * of every projection (the cache keys on it) and a fan-out of applied events
 * to subscriptions. Every gateway replica listens for itself, so each sees
 * every change.
 */
export interface ChangeFeed {
  /**
   * A string naming the state of the given projections (all when omitted),
   * or undefined while the feed is
   * not in sync or has not yet announced a position this gateway has seen
   * (see {@link ChangeFeed.observe}).
   */
  version(projections?: readonly string[]): string | undefined;
  /**
   * Records a position this gateway knows to be committed (a mutation's
   * consistency token). Until every projection's announced checkpoint reaches
   * it, `version()` is undefined, so nothing cached before it is served.
   */
  observe(position: Position): void;
  /**
   * Events that match `filter`, as an async iterator. Each subscriber has its
   * own queue of at most `maxQueued` events, so a slow one never holds up the
   * others; one that overflows is ended with SlowSubscriberError. After the
   * LISTEN connection was lost while changes were made, every subscription
   * ends with MissedChangesError: none ever silently skips a change. Throws
   * UnavailableError when the gateway's limit of open subscriptions is reached.
   */
  events(
    filter: (event: FeedEvent) => boolean,
    maxQueued?: number,
  ): AsyncIterableIterator<FeedEvent>;
  /** Called after each notice is applied (cache invalidation hooks in here). */
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  /**
   * Ends every subscription (open SSE and WebSocket streams complete) and
   * refuses new ones with UnavailableError: the first step of a stop.
   */
  endSubscriptions(): void;
  /** Ends the subscriptions, then stops following the read model. */
  stop(): Promise<void>;
}

/**
 * Subscriptions open at once on one gateway, by default. Each costs about
 * 80 KB over SSE (measured with 5,000), so the default bounds them to about
 * 800 MB; a client past the limit is refused, never the gateway stopped.
 */
export const DEFAULT_MAX_SUBSCRIPTIONS = 10_000;

/** How long the start waits for the feed's first sync. */
const SYNC_WAIT_MS = 5000;

function key(p: Position): string {
  return `${p.transactionId}.${p.id}`;
}

/**
 * Connects to the read model database and follows its change feed (see
 * followChanges: a LISTEN connection that re-establishes itself, and a
 * resynchronisation after each connection).
 */
export async function startChangeFeed(
  readModelUrl: string,
  logger: Logger,
  options: { retryMs?: number | undefined; maxSubscriptions?: number | undefined } = {},
): Promise<ChangeFeed> {
  const { maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS, ...followOptions } = options;
  // Checkpoint reads at every (re)connection of the feed's own LISTEN connection.
  const sql: Sql = connect(readModelUrl, { max: 1, applicationName: "gateway-feed" });
  const checkpoints = new Map<string, Position>();
  let synced = false;
  let floor: Position | undefined;
  const subscribers = new Set<(e: FeedEvent) => void>();
  const gapListeners = new Set<(err: MissedChangesError) => void>();
  const finishers = new Set<() => void>();
  const changeListeners = new Set<(n: ChangeNotice) => void>();
  let ending = false;
  const endSubscriptions = () => {
    ending = true;
    for (const finish of [...finishers]) finish();
  };
  let firstSync = () => {};
  const inSync = new Promise<void>((resolve) => firstSync = resolve);

  const follower = followChanges(readModelUrl, sql, {
    onChange(notice) {
      checkpoints.set(notice.projection, notice.position);
      for (const listener of changeListeners) listener(notice);
      for (const event of notice.events) {
        const feedEvent = { ...event, projection: notice.projection };
        for (const deliver of subscribers) deliver(feedEvent);
      }
    },
    onSync(current) {
      // A resync after the first: the connection was down, and what moved meanwhile was unheard.
      const moved = synced
        ? [...current].filter(([name, p]) => {
          const known = checkpoints.get(name);
          return !known || key(known) !== key(p);
        }).map(([name]) => name)
        : [];
      if (moved.length > 0 && gapListeners.size > 0) {
        const gap = new MissedChangesError(
          `Subscription ended: the gateway lost its change feed for a while and ${
            moved.join(", ")
          } changed meanwhile; read again and subscribe again`,
          { projections: moved },
        );
        const ended = [...gapListeners];
        for (const fail of ended) fail(gap);
        logger.warn("change feed missed changes; subscriptions ended", {
          projections: moved,
          subscriptions: ended.length,
        });
      }
      checkpoints.clear();
      for (const [name, position] of current) checkpoints.set(name, position);
      synced = true;
      firstSync();
      logger.info("change feed in sync", { projections: current.size });
    },
  }, { applicationName: "gateway-feed", logger, ...followOptions });
  // Serving starts in sync when the read model answers; when it does not, the feed catches up.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([inSync, new Promise((resolve) => timer = setTimeout(resolve, SYNC_WAIT_MS))]);
  clearTimeout(timer);

  return {
    version(projections) {
      // While the LISTEN connection is down, notices are missed: nothing may be cached on it.
      if (!synced || !follower.listening) return undefined;
      if (floor) {
        for (const position of checkpoints.values()) {
          if (!reached(position, floor)) return undefined;
        }
        floor = undefined;
      }
      const names = projections ?? [...checkpoints.keys()];
      return [...names].sort().map((n) => {
        const p = checkpoints.get(n);
        return `${n}@${p ? key(p) : "0"}`;
      }).join(",");
    },
    events(filter, maxQueued = 1000) {
      if (ending) throw new UnavailableError("The gateway is stopping: subscribe again elsewhere");
      if (subscribers.size >= maxSubscriptions) {
        throw new UnavailableError(
          `Too many subscriptions are open on this gateway: its limit is ${maxSubscriptions} (GRAPHQL_MAX_SUBSCRIPTIONS); subscribe again later`,
        );
      }
      const queue: FeedEvent[] = [];
      let wake: (() => void) | undefined;
      let failure: Error | undefined;
      let done = false;
      // Ends the subscription with `err` once the events queued before it are taken.
      const fail = (err: Error) => {
        if (done || failure) return;
        failure = err;
        subscribers.delete(deliver);
        gapListeners.delete(fail);
        untrack();
        wake?.();
      };
      const deliver = (event: FeedEvent) => {
        if (done || !filter(event)) return;
        if (queue.length >= maxQueued) {
          fail(
            new SlowSubscriberError(
              `Subscription ended: its consumer fell more than ${maxQueued} events behind`,
            ),
          );
          return;
        }
        queue.push(event);
        wake?.();
      };
      subscribers.add(deliver);
      gapListeners.add(fail);
      const untrack = trackSubscription();
      const finish = () => {
        done = true;
        subscribers.delete(deliver);
        gapListeners.delete(fail);
        untrack();
        finishers.delete(finish);
        wake?.();
      };
      finishers.add(finish);
      const iterator: AsyncIterableIterator<FeedEvent> = {
        async next() {
          while (queue.length === 0 && !failure && !done) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
          const value = queue.shift();
          if (value) return { value, done: false };
          if (failure) throw failure;
          return { value: undefined, done: true };
        },
        return() {
          finish();
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
    observe(position) {
      if (!floor || !reached(floor, position)) floor = position;
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    endSubscriptions,
    async stop() {
      endSubscriptions();
      await follower.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
