import type { TxSql } from "@shared/db/connect.ts";
import type { EventStore, Position, RecordedEvent } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { withEventSpans } from "@shared/observability/mod.ts";
import { applyIsolated, isTransient } from "./apply.ts";
import { hasUnsettled } from "./lag.ts";
import { publishChanges } from "./change_feed.ts";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { recordDeadLetters } from "./dead_letters.ts";
import { type Lease, LeaseLostError } from "./lease.ts";
import type { Projection } from "./types.ts";
import type { SharedReader } from "./reader.ts";
import type { Wakeup } from "./wakeup.ts";

/**
 * Settings of the projector's write sessions (see openLeaseSession). Handlers join a batch (a
 * JSON recordset, which the planner guesses at 100 rows) to their tables by
 * key; hash and merge joins then scan whole tables where a few index probes
 * do: off, a rebuild of the products from 100,000 events spent 2.0 s in SQL
 * instead of 5.4 s. A batch's commit does not wait for its WAL flush: a
 * server crash may lose the last batches, but each with its checkpoint, so
 * they are applied again, never half or twice (the read model is derived).
 */
export const BATCH_SETTINGS: Readonly<Record<string, string>> = {
  enable_hashjoin: "off",
  enable_mergejoin: "off",
  synchronous_commit: "off",
};

/**
 * Waits before reading again an event committed but not yet readable (an
 * older transaction still running): 2 ms, doubled each time up to 16 ms.
 */
const SETTLE_MS = 2;
const SETTLE_MAX_MS = 16;

/** Options of {@link runProjection}. */
export interface RunnerOptions {
  projection: Projection;
  /**
   * The lease this runner owns; its batches run on the lease's session, which
   * should have {@link BATCH_SETTINGS}.
   */
  lease: Lease;
  store: EventStore;
  /** Reads shared with the other runners of the process; default the store's own reads. */
  reader?: SharedReader | undefined;
  /** Wakes the runner when events are appended; without it, it only polls. */
  wakeup?: Wakeup | undefined;
  batchSize: number;
  pollMs: number;
  logger: Logger;
  /** Called after every batch committed. */
  onBatch?: (batch: BatchOutcome) => void;
  /** Called after every read of the event store, with the runner's position. */
  onPoll?: (position: Position) => void;
}

/** What a committed batch did. */
export interface BatchOutcome {
  position: Position;
  events: number;
  /** Events sent to the dead-letter table. */
  deadLettered: number;
}

/** A projection being applied, batch after batch, while its lease is held. */
export interface ProjectionRunner {
  /** The position of the last event applied. */
  readonly position: Position;
  /** Resolves when the runner has ended: stopped, or its lease lost. */
  readonly done: Promise<void>;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
}

/**
 * Applies a projection from its checkpoint on: reads the global order
 * gap-safely, and commits each batch, its checkpoint, its dead letters and
 * its change-feed notice in one transaction, fenced by the lease. The next
 * batch is read while one is applied. A batch whose handler throws is
 * applied again event by event, each in a savepoint, and the events that
 * still throw go to the dead-letter table. After any other failure the
 * runner re-reads its checkpoint (a commit whose outcome was lost may have
 * gone through) and retries.
 */
export async function runProjection(options: RunnerOptions): Promise<ProjectionRunner> {
  const { projection, lease, store, batchSize, pollMs, logger } = options;
  let position = await readCheckpoint(lease.sql, projection.name);
  let stopped = false;
  let pending = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    pending = true;
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
  // fence go with the first statement, the checkpoint, the notice and COMMIT together. The
  // fence's answer is in before the last statement's, so a lost lease never reaches COMMIT.
  const commitPipelined = async (events: RecordedEvent[]): Promise<void> => {
    const last = events.at(-1)!.position;
    const conn = await lease.sql.reserve();
    const sent: Promise<unknown>[] = [];
    const send = <T>(query: Promise<T>): Promise<T> => {
      query.catch(() => {});
      sent.push(query);
      return query;
    };
    let open = true;
    try {
      send(conn`BEGIN`);
      const fenced = send(lease.fence(conn as unknown as TxSql));
      await projection.apply(conn as unknown as TxSql, events);
      await fenced;
      send(writeCheckpoint(conn as unknown as TxSql, projection.name, last));
      // publishChanges awaits each NOTIFY it sends; this stand-in sends it and answers at
      // once, so that every notice is on the wire, in the transaction, before COMMIT.
      const notices = ((strings: TemplateStringsArray, ...values: unknown[]) => {
        send(conn(strings, ...(values as never[])));
        return Promise.resolve([]);
      }) as unknown as TxSql;
      await publishChanges(notices, projection.name, last, events);
      const [done] = await send(conn<{ command: string }[]>`COMMIT`).then((r) => [r]);
      open = false;
      await Promise.all(sent);
      if (done?.command !== "COMMIT") {
        throw new Error(`The batch of projection "${projection.name}" was rolled back`);
      }
    } catch (err) {
      // The first failure is thrown: the statements after it only failed because of it.
      if (open) await conn`ROLLBACK`.catch(() => {});
      throw err;
    } finally {
      conn.release();
    }
  };

  // Isolating the failing events of a batch: savepoints, one per event.
  const commitIsolated = async (events: RecordedEvent[]): Promise<number> => {
    const last = events.at(-1)!.position;
    return await lease.sql.begin(async (tx) => {
      await lease.fence(tx);
      const failed = await applyIsolated(tx, projection, events);
      await recordDeadLetters(tx, projection.name, failed);
      const poison = new Set(failed.map((f) => f.event));
      for (const f of failed) {
        logger.error("event sent to the dead-letter table", {
          eventId: f.event.eventId,
          type: f.event.type,
          position: f.event.position,
          error: f.error,
        });
      }
      await writeCheckpoint(tx, projection.name, last);
      await publishChanges(tx, projection.name, last, events.filter((e) => !poison.has(e)));
      return failed.length;
    });
  };

  const apply = async (events: RecordedEvent[]): Promise<void> => {
    const deadLettered = await withEventSpans(
      `project ${projection.name}`,
      events,
      async () => {
        try {
          await commitPipelined(events);
          return 0;
        } catch (err) {
          if (isTransient(err)) throw err;
          logger.warn("batch failed; isolating the failing events", { error: err });
          return await commitIsolated(events);
        }
      },
    );
    position = events.at(-1)!.position;
    options.onBatch?.({ position, events: events.length, deadLettered });
  };

  const reader = options.reader;
  const read = (after: Position) => {
    const p = reader ? reader.readAll(after, batchSize) : store.readAll(after, batchSize);
    p.catch(() => {}); // awaited later, or dropped with its error when the batch before failed
    return p;
  };

  const loop = async () => {
    let next: Promise<RecordedEvent[]> | undefined;
    let failures = 0;
    let settleMs = SETTLE_MS;
    while (!stopped) {
      pending = false;
      let count = 0;
      try {
        const events = await (next ?? read(position));
        next = undefined;
        count = events.length;
        if (count === batchSize) next = read(events.at(-1)!.position);
        if (count > 0) {
          await apply(events);
          settleMs = SETTLE_MS;
        }
        options.onPoll?.(position);
        failures = 0;
      } catch (err) {
        next = undefined;
        if (err instanceof LeaseLostError) {
          logger.warn("lease lost; stopping", { error: err });
          return;
        }
        logger.error("batch failed; retrying", { error: err });
        await sleep(Math.min(pollMs * 2 ** failures++, 10_000), false);
        try {
          position = await readCheckpoint(lease.sql, projection.name);
        } catch {
          // Still failing: the next turn retries from the position kept.
        }
        continue;
      }
      if (count === batchSize || pending || stopped) continue;
      // An event committed but not yet readable (an older transaction is still running)
      // is read again shortly, not at the next poll: its wake-up has come and gone.
      let waiting = false;
      try {
        waiting =
          await (reader ? reader.hasUnsettled(position) : hasUnsettled(store.sql, position));
      } catch {
        waiting = false;
      }
      if (waiting) {
        await sleep(settleMs);
        settleMs = Math.min(settleMs * 2, SETTLE_MAX_MS, pollMs);
        continue;
      }
      settleMs = SETTLE_MS;
      await sleep(pollMs);
    }
  };
  const done = loop().finally(() => unsubscribe?.());

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
