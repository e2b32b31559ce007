import { pipelinedTransaction } from "@shared/db/transaction.ts";
import type { AllPage, EventStore, Position, RecordedEvent } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { withEventSpans } from "@shared/observability/mod.ts";
import type { CheckpointTable } from "./checkpoint.ts";
import { type Batch, type BatchCommitter, commitAlone, sendNotices } from "./committer.ts";
import { recordDeadLetters } from "./dead_letters.ts";
import { applyIsolated, isTransient } from "./isolate.ts";
import { type Lease, LeaseLostError } from "./lease.ts";
import type { SharedReader } from "./reader.ts";
import type { BatchScope, ConsumerHandler } from "./types.ts";
import type { Wakeup } from "./wakeup.ts";

/**
 * Waits before reading again an event committed but not yet readable (an
 * older transaction still running): 2 ms, doubled each time up to 16 ms.
 */
const SETTLE_MS = 2;
const SETTLE_MAX_MS = 16;
/**
 * The longest wait before a batch that failed for the environment's sake (a
 * connection lost, a server restarting) is tried again: once the server is
 * back, the consumer goes on within a second, whatever the failures before.
 */
const TRANSIENT_RETRY_MAX_MS = 1000;
/** How long a checkpoint past events the handler skips may wait for a batch with work. */
const SKIPPED_CHECKPOINT_MS = 1000;

/** Options of {@link followEvents}. */
export interface FollowOptions {
  handler: ConsumerHandler;
  /** Where the handler's checkpoint lives, in the database of the lease's session. */
  checkpoints: CheckpointTable;
  /** The lease this follower owns; its batches run on the lease's session. */
  lease: Lease;
  store: EventStore;
  /**
   * Commits this consumer's batches together with those of the other
   * consumers on the same lease session; default a transaction per batch.
   */
  committer?: BatchCommitter | undefined;
  /** Reads shared with the other consumers of the process; default the store's own reads. */
  reader?: SharedReader | undefined;
  /** Wakes the follower when events are appended; without it, it only polls. */
  wakeup?: Wakeup | undefined;
  batchSize: number;
  pollMs: number;
  /**
   * Whether an event whose handler throws goes to the dead-letter table (and
   * the consumer moves on); without, the batch is retried until it passes.
   */
  deadLetters: boolean;
  /**
   * Longest wait between retries of a failed batch; default 10 s. A failure of
   * the environment (see `isTransient`) waits at most 1 s.
   */
  maxRetryMs?: number;
  /**
   * Name of the spans of a batch (one per trace among its events); default
   * `consume <name>`; null for none, when the handler makes its own.
   */
  spanName?: string | null;
  logger: Logger;
  /** Called after every batch committed. */
  onBatch?: (batch: BatchOutcome) => void;
  /** Called after every read of the event store, with the follower's position. */
  onPoll?: (position: Position) => void;
}

/** What a committed batch did. */
export interface BatchOutcome {
  position: Position;
  events: number;
  /** Events sent to the dead-letter table. */
  deadLettered: number;
}

/** A consumer following the events, batch after batch, while its lease is held. */
export interface Follower {
  /** The position of the last event applied. */
  readonly position: Position;
  /** Resolves when the follower has ended: stopped, or its lease lost. */
  readonly done: Promise<void>;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
}

/**
 * Follows the global order from a consumer's checkpoint on: reads it
 * gap-safely (through the store's `readAll`), wakes on the wake-up and also
 * polls, and commits each batch, its checkpoint, its dead letters and its
 * announcements in one transaction, fenced by the lease. The next batch is
 * read while one is handled. With dead letters on, a batch whose handler
 * throws is applied again event by event, each in a savepoint, and the
 * events that still throw go to the dead-letter table. After any other
 * failure the follower re-reads its checkpoint (a commit whose outcome was
 * lost may have gone through) and retries. The handler's `onStart` runs
 * before the first read, its `onClose` once the follower has ended.
 */
export async function followEvents(options: FollowOptions): Promise<Follower> {
  const { handler, checkpoints, lease, store, batchSize, pollMs, logger } = options;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let position = await checkpoints.read(lease.sql, handler.name);
  await handler.onStart?.(position);
  let stopped = false;
  let pending = false;
  let wokenAt = -Infinity;
  let wake: (() => void) | undefined;
  const poke = () => {
    pending = true;
    wokenAt = performance.now();
    wake?.();
  };
  const unsubscribe = options.wakeup?.onWake(poke);
  // Returns at once when a wake-up came since the turn began (it found no sleeper to wake).
  const sleep = (ms: number, byWakeUp = true) =>
    new Promise<void>((resolve) => {
      if (stopped || (byWakeUp && pending)) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = byWakeUp ? done : () => stopped && done();
    });

  // The usual case, in k + 1 round trips for k statements of the handlers: BEGIN and the
  // fence go with the first statement, the checkpoint, the notices and COMMIT together.
  // With a committer, the batches of the consumers sharing its session go in one transaction.
  const commitPipelined = async (
    events: RecordedEvent[],
    scope: BatchScope,
    reset: () => void,
  ): Promise<void> => {
    const position = events.at(-1)!.position;
    const batch: Batch = {
      lease,
      checkpoints,
      position,
      apply: (tx) => handler.apply(tx, events, scope),
      notices: () => handler.notices?.(position, events) ?? [],
    };
    if (options.committer) await options.committer.commit(batch, reset);
    else await commitAlone(lease.sql, batch);
  };

  // Isolating the failing events of a batch: savepoints, one per event.
  const commitIsolated = async (events: RecordedEvent[], scope: BatchScope): Promise<number> => {
    const last = events.at(-1)!.position;
    return await lease.sql.whileCurrent(pipelinedTransaction(lease.sql, async (tx) => {
      await lease.fence(tx);
      const failed = await applyIsolated(
        tx,
        { apply: (sp, one) => handler.apply(sp, one, scope) },
        events,
      );
      await recordDeadLetters(tx, handler.name, failed);
      const poison = new Set(failed.map((f) => f.event));
      for (const f of failed) {
        logger.error("event sent to the dead-letter table", {
          eventId: f.event.eventId,
          type: f.event.type,
          position: f.event.position,
          error: f.error,
        });
      }
      await checkpoints.write(tx, handler.name, last);
      await sendNotices(tx, handler.notices?.(last, events.filter((e) => !poison.has(e))) ?? []);
      return failed.length;
    }));
  };

  // Runs a commit; when it fails, the handler's rollback hooks run before the error goes on
  // (and when a shared transaction failed, before the batch runs again alone: `reset`).
  const attempt = async <T>(
    commit: (scope: BatchScope, reset: () => void) => Promise<T>,
  ): Promise<T> => {
    const rollbacks: (() => void)[] = [];
    const reset = () => {
      for (const fn of rollbacks.splice(0)) fn();
    };
    try {
      return await commit({ onRollback: (fn) => rollbacks.push(fn) }, reset);
    } catch (err) {
      reset();
      throw err;
    }
  };

  const apply = async (events: RecordedEvent[]): Promise<void> => {
    const commit = async () => {
      try {
        await attempt((scope, reset) => commitPipelined(events, scope, reset));
        return 0;
      } catch (err) {
        if (isTransient(err) || !options.deadLetters) throw err;
        logger.warn("batch failed; isolating the failing events", { error: err });
        return await attempt((scope) => commitIsolated(events, scope));
      }
    };
    const spanName = options.spanName === undefined ? `consume ${handler.name}` : options.spanName;
    const deadLettered = spanName === null
      ? await commit()
      : await withEventSpans(spanName, events, commit);
    position = events.at(-1)!.position;
    options.onBatch?.({ position, events: events.length, deadLettered });
  };

  // Events the handler skips: committed with the next batch, or alone once this is due.
  let skipped: RecordedEvent[] | undefined;
  let committedAt = performance.now();
  const skips = (events: RecordedEvent[]) =>
    handler.handles !== undefined && !events.some((e) => handler.handles!(e));
  const checkpointDue = () =>
    skipped !== undefined && performance.now() - committedAt >= SKIPPED_CHECKPOINT_MS;
  const commitBatch = async (events: RecordedEvent[]) => {
    await apply(events);
    skipped = undefined;
    committedAt = performance.now();
  };

  const reader = options.reader;
  // A wake-up counts from when the read that could have seen its event began: one that
  // comes while a page read ahead is applied (or waited for) is kept for the turn after it.
  const read = (after: Position) => {
    pending = false;
    const p = reader
      ? reader.readAllPage(after, batchSize, wokenAt)
      : store.readAllPage(after, batchSize);
    p.catch(() => {}); // awaited later, or dropped with its error when the batch before failed
    return p;
  };

  const loop = async () => {
    let next: Promise<AllPage> | undefined;
    let failures = 0;
    let settleMs = SETTLE_MS;
    while (!stopped) {
      let count = 0;
      let unsettled = false;
      try {
        const page = await (next ?? read(position));
        const { events } = page;
        next = undefined;
        count = events.length;
        unsettled = page.unsettled;
        if (count === batchSize) next = read(events.at(-1)!.position);
        if (count > 0) {
          if (skips(events)) {
            skipped = events;
            position = events.at(-1)!.position;
          } else await commitBatch(events);
          settleMs = SETTLE_MS;
        }
        if (checkpointDue()) await commitBatch(skipped!);
        options.onPoll?.(position);
        failures = 0;
      } catch (err) {
        next = undefined;
        skipped = undefined; // read again from the checkpoint below
        if (err instanceof LeaseLostError) {
          logger.warn("lease lost; stopping", { error: err });
          return;
        }
        logger.error("batch failed; retrying", { error: err });
        const cap = isTransient(err) ? Math.min(maxRetryMs, TRANSIENT_RETRY_MAX_MS) : maxRetryMs;
        await sleep(Math.min(pollMs * 2 ** failures++, cap), false);
        try {
          position = await checkpoints.read(lease.sql, handler.name);
        } catch {
          // Still failing: the next turn retries from the position kept.
        }
        continue;
      }
      if (count === batchSize || pending || stopped) continue;
      // An event committed but not yet readable (an older transaction is still running)
      // is read again shortly, not at the next poll: its wake-up has come and gone. The short
      // page's read told (an event committed since then wakes the loop itself).
      if (unsettled) {
        await sleep(settleMs);
        settleMs = Math.min(settleMs * 2, SETTLE_MAX_MS, pollMs);
        continue;
      }
      settleMs = SETTLE_MS;
      const untilDue = skipped ? SKIPPED_CHECKPOINT_MS - (performance.now() - committedAt) : pollMs;
      await sleep(Math.max(0, Math.min(pollMs, untilDue)));
    }
  };
  const done = loop().then(async () => {
    // Stopped (not on a lost lease: the loop returns): the checkpoint past the skipped events.
    if (!skipped || !stopped) return;
    try {
      await commitBatch(skipped);
    } catch (err) {
      logger.warn("cannot record the checkpoint past skipped events", { error: err });
    }
  }).finally(async () => {
    unsubscribe?.();
    try {
      await handler.onClose?.();
    } catch (err) {
      logger.warn("the handler did not close cleanly", { error: err });
    }
  });

  return {
    get position() {
      return position;
    },
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
