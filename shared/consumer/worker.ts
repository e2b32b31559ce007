import type { Sql } from "@shared/db/connect.ts";
import type { EventStore, Position } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import type { ProjectionLag } from "@shared/observability/mod.ts";
import type { CheckpointTable } from "./checkpoint.ts";
import type { BatchCommitter } from "./committer.ts";
import { type Follower, followEvents } from "./follow.ts";
import { measureLag } from "./lag.ts";
import { Lease, openLeaseSession } from "./lease.ts";
import type { SharedReader } from "./reader.ts";
import type { ConsumerHandler } from "./types.ts";
import type { Wakeup } from "./wakeup.ts";

/**
 * The least time between two lag measurements of a consumer: each is a query
 * on the event store, and a wake-up per event would otherwise measure per event.
 */
const LAG_EVERY_MS = 250;

/** A query of the lease session that went unanswered too long. */
class StalledSessionError extends Error {
  override readonly name = "StalledSessionError";
  constructor(what: string, ms: number) {
    super(`No answer from the lease session for ${ms} ms while ${what}`);
  }
}

/**
 * How long a lease session may sit in a transaction without a statement
 * before it counts as stalled, by default: the handler may be working in
 * the client.
 */
const IDLE_IN_TRANSACTION_MS = 30_000;

/** Raised by {@link within} when its time is up. */
class StallError extends Error {}

/** `work`, or StallError when it has not settled within `ms`; `work` itself goes on. */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new StallError()), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link startConsumer}. */
export interface ConsumerOptions {
  handler: ConsumerHandler;
  /** Where the handler's checkpoint lives, in the database at `databaseUrl`. */
  checkpoints: CheckpointTable;
  /** The database of the handler's writes: its checkpoint, its lease and its batches live there. */
  databaseUrl: string;
  /** Settings of the lease session, on which every batch runs (see openLeaseSession). */
  sessionSettings?: Readonly<Record<string, string>>;
  /**
   * The lease session shared with other consumers of the process, instead of
   * one of the consumer's own, with the committer that puts their batches in
   * one transaction (see BatchCommitter; its owner ends the session).
   */
  committer?: BatchCommitter;
  /** A pool on that database, for the checkpoint while on standby and the dead-letter count. */
  sql: Sql;
  /** The event store; its pool also serves the lag queries. */
  store: EventStore;
  /** Reads shared by the consumers of a process. */
  reader?: SharedReader | undefined;
  /** Wakes the consumer when events are appended; without it, it only polls. */
  wakeup?: Wakeup | undefined;
  /** Application name of the lease session, naming this replica in pg_stat_activity. */
  applicationName: string;
  batchSize: number;
  pollMs: number;
  /** Whether events whose handler throws go to the dead-letter table (see followEvents). */
  deadLetters: boolean;
  /** Longest wait between retries of a failed batch; default 10 s. */
  maxRetryMs?: number;
  /** Name of the spans of a batch (see followEvents). */
  spanName?: string | null;
  /** How often a standby tries the lease and an owner checks it; default 1000 ms. */
  leaseCheckMs?: number;
  /**
   * How long a lease query may go unanswered before the lease session is
   * taken for stalled and replaced by a new connection, unless the server is
   * working on it or the session is in a transaction that moved in the last
   * 30 s (see pg_stat_activity); default 2000 ms.
   */
  stallMs?: number;
  /** The same for a session in a transaction; default 30 s (see IDLE_IN_TRANSACTION_MS). */
  stallInTransactionMs?: number;
  /** How often the dead letters are counted again (at most); default 5000 ms. */
  deadLetterCountMs?: number;
  /** Called with every lag measured (a gauge). */
  onLag?: (lag: ProjectionLag) => void;
  /** Called with the dead-letter count whenever it is known to change. */
  onDeadLetters?: (count: number) => void;
  logger: Logger;
}

/** What a consumer replica knows, for /health. */
export interface ConsumerState {
  /** Whether this replica owns the consumer now. */
  owned: boolean;
  checkpoint: Position | undefined;
  lagEvents: number | undefined;
  lagSeconds: number | undefined;
  /** Events in the dead-letter table; undefined without dead letters or before a count. */
  deadLetters: number | undefined;
}

/** One consumer in one replica: owner or standby. */
export interface Consumer {
  readonly handler: ConsumerHandler;
  readonly state: ConsumerState;
  /** Resolves after the first try of the lease (and, when taken, the handler's start). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs one consumer in a replica: it tries the consumer's lease every
 * `leaseCheckMs`, follows the events while it holds it (see followEvents),
 * and hands it over when a rebuild or replay asks (or stops when it is
 * lost). It measures lag (after every batch and poll) and dead letters
 * whether it owns the consumer or not, so every replica reports them.
 */
export function startConsumer(options: ConsumerOptions): Consumer {
  const { handler, checkpoints, store, logger } = options;
  const leaseCheckMs = options.leaseCheckMs ?? 1000;
  const deadLetterCountMs = options.deadLetterCountMs ?? 5000;
  const stallMs = options.stallMs ?? 2000;
  const stallInTransactionMs = Math.max(
    options.stallInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
    stallMs,
  );
  const session = options.committer?.session ??
    openLeaseSession(
      options.databaseUrl,
      options.applicationName,
      options.sessionSettings,
      leaseCheckMs,
    );
  const lease = new Lease(session, handler.name);
  const state: ConsumerState = {
    owned: false,
    checkpoint: undefined,
    lagEvents: undefined,
    lagSeconds: undefined,
    deadLetters: undefined,
  };
  let follower: Follower | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let measuring: Promise<void> | undefined;
  let countedAt = 0;
  let ticking: Promise<void> | undefined;

  const setDeadLetters = (count: number) => {
    state.deadLetters = count;
    options.onDeadLetters?.(count);
  };
  // After every batch and poll, at most one measurement per LAG_EVERY_MS, one at a time; the
  // last position asked for is always measured, once its turn comes.
  let asked: { position: Position | undefined } | undefined;
  let measuredAt = -Infinity;
  let measureTimer: ReturnType<typeof setTimeout> | undefined;
  const measure = (position: Position | undefined) => {
    if (stopped) return;
    asked = { position };
    if (measuring || measureTimer) return;
    const wait = measuredAt + LAG_EVERY_MS - performance.now();
    if (wait > 0) {
      measureTimer = setTimeout(() => {
        measureTimer = undefined;
        if (asked) measure(asked.position);
      }, wait);
      return;
    }
    const { position: at } = asked;
    asked = undefined;
    measuredAt = performance.now();
    measuring = measureNow(at).finally(() => {
      measuring = undefined;
      if (asked) measure(asked.position);
    });
  };
  const countDeadLetters = async () => {
    const [row] = await options.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM projection_dead_letters WHERE projection = ${handler.name}`;
    return row?.n ?? 0;
  };
  const measureNow = async (position: Position | undefined) => {
    try {
      const at = position ?? await checkpoints.read(options.sql, handler.name);
      const recount = options.deadLetters && Date.now() - countedAt >= deadLetterCountMs;
      const [lag, dead] = await Promise.all([
        options.reader ? options.reader.measureLag(at) : measureLag(store.sql, at),
        recount ? countDeadLetters() : undefined,
      ]);
      state.checkpoint = at;
      state.lagEvents = lag.events;
      state.lagSeconds = lag.seconds;
      options.onLag?.(lag);
      if (dead !== undefined) {
        countedAt = Date.now();
        setDeadLetters(dead);
      }
    } catch (err) {
      logger.debug("lag not measured", { error: err });
    }
  };

  // A lease query that goes unanswered for stallMs while the server is not working on the
  // session (its backend is gone, or has not moved for stallMs): the connection is taken
  // for stalled (half-open after a network fault or a crash of the server, where no error ever
  // comes) and replaced, so the next tick starts over on a working one. A query that waits
  // behind a long batch, or on a lock, is only slow: it is waited for.
  const serverWorking = async (): Promise<boolean> => {
    const pid = lease.backendPid;
    if (pid === undefined) return false;
    try {
      // Running a statement now, or moved in the last stallMs (a batch between two of its
      // statements), or waiting on the client in a transaction that moved in the last
      // stallInTransactionMs: a handler may work long in the client between two statements
      // (the saga worker's does, before its only one). A statement shows `active` while
      // the server waits for the client to send the rest of it (ClientRead: postgres.js sends
      // a new statement with parameters in two parts) or to take its rows (ClientWrite):
      // that is a wait on the client, which a half-open connection makes last for ever.
      const [row] = await within(
        options.sql<{ working: boolean }[]>`
          SELECT (state = 'active' AND wait_event_type IS DISTINCT FROM 'Client')
              OR state_change > clock_timestamp() - ${stallMs} * interval '1 ms'
              OR ((state LIKE 'idle in transaction%' OR state = 'active') AND state_change >
                clock_timestamp() - ${stallInTransactionMs} * interval '1 ms')
            AS working
          FROM pg_stat_activity WHERE pid = ${pid}`,
        stallMs,
      );
      return row?.working === true;
    } catch {
      return false; // The database does not answer either: a new connection costs nothing.
    }
  };
  // The server side of a replaced connection may live on (a network fault), holding its locks
  // until the server's keepalive gives up on it, maybe hours later: it is ended here.
  const endBackend = async (pid: number | undefined) => {
    if (pid === undefined) return;
    try {
      await within(
        options.sql`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE pid = ${pid} AND application_name = ${session.applicationName}`,
        stallMs,
      );
    } catch (err) {
      logger.debug("the replaced connection's backend was not ended", { error: err });
    }
  };
  const answered = async <T>(query: Promise<T>, what: string, replace = true): Promise<T> => {
    const generation = session.generation;
    for (;;) {
      try {
        return await within(query, stallMs);
      } catch (err) {
        if (!(err instanceof StallError)) throw err;
        // Stopping waits for no more than that: ending the session fails what is left.
        if (!stopped && await serverWorking()) continue;
        const stalled = new StalledSessionError(what, stallMs);
        if (replace) {
          logger.warn("the lease session stopped answering; opening a new one", { error: stalled });
          session.replace(generation);
          void endBackend(lease.backendPid);
        }
        throw stalled;
      }
    }
  };

  const release = async (why: string) => {
    const ending = follower;
    follower = undefined;
    state.owned = false;
    // A follower stops after its batch in flight, whose answer a stalled session may never
    // give; it starts no other batch, so it is left to end when the query fails.
    if (ending) await answered(ending.stop(), "stopping the follower").catch(() => {});
    await lease.release(["lease"]).catch(() => {});
    logger.info("released the lease", { reason: why });
  };

  const tick = async () => {
    try {
      if (!follower) {
        if (await answered(lease.tryAcquire(), "taking the lease")) {
          const started = await followEvents({
            handler,
            checkpoints,
            lease,
            store,
            reader: options.reader,
            committer: options.committer,
            wakeup: options.wakeup,
            batchSize: options.batchSize,
            pollMs: options.pollMs,
            deadLetters: options.deadLetters,
            ...(options.maxRetryMs === undefined ? {} : { maxRetryMs: options.maxRetryMs }),
            ...(options.spanName === undefined ? {} : { spanName: options.spanName }),
            logger,
            onBatch: (batch) => {
              state.checkpoint = batch.position;
              if (batch.deadLettered > 0) {
                setDeadLetters((state.deadLetters ?? 0) + batch.deadLettered);
              }
            },
            onPoll: (position) => measure(position),
          });
          if (stopped) {
            await started.stop();
            return;
          }
          follower = started;
          state.owned = true;
          state.checkpoint = started.position;
          logger.info("owning the lease", { from: started.position });
          const mine = started;
          mine.done.then(() => {
            if (follower === mine && !stopped) void release("lease lost");
          });
        } else {
          measure(undefined);
        }
      } else {
        let check;
        try {
          check = await answered(lease.check(), "checking the lease");
        } catch (err) {
          if (!(err instanceof StalledSessionError)) throw err;
          check = { held: false, takeover: false };
        }
        const { held, takeover } = check;
        if (!held) await release("lease lost");
        else if (takeover) await release("handed over to a rebuild or replay");
      }
    } catch (err) {
      logger.warn("lease check failed", { error: err });
    } finally {
      if (!stopped) timer = setTimeout(() => ticking = tick(), leaseCheckMs);
    }
  };
  ticking = tick();
  const ready = ticking;

  return {
    handler,
    state,
    ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(measureTimer);
      await ticking;
      await measuring;
      // Ending the session below fails what a stalled one still owes.
      await answered(follower?.stop() ?? Promise.resolve(), "stopping", false).catch(() => {});
      follower = undefined;
      state.owned = false;
      // Ending the session releases the lease; a shared one lives on, without it.
      if (options.committer) await within(lease.release(["lease"]), stallMs).catch(() => {});
      else await session.end({ timeout: 5 });
    },
  };
}
