import type { Sql } from "@shared/db/connect.ts";
import type { EventStore, Position } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { setProjectionDeadLetters, setProjectionLag } from "@shared/observability/mod.ts";
import { readCheckpoint } from "./checkpoint.ts";
import { measureLag } from "./lag.ts";
import { Lease, openLeaseSession } from "./lease.ts";
import type { SharedReader } from "./reader.ts";
import { BATCH_SETTINGS, type ProjectionRunner, runProjection } from "./runner.ts";
import type { Projection } from "./types.ts";
import type { Wakeup } from "./wakeup.ts";

/** Options of {@link startProjectionWorker}. */
export interface WorkerOptions {
  projection: Projection;
  readModelUrl: string;
  /** The event store; its pool also serves the lag queries. */
  store: EventStore;
  /** Reads shared by the workers of a process. */
  reader?: SharedReader | undefined;
  /** A pool on the read model, for the dead-letter count. */
  readModel: Sql;
  wakeup?: Wakeup | undefined;
  /** Application name of the lease session, naming this replica in pg_stat_activity. */
  applicationName: string;
  batchSize: number;
  pollMs: number;
  /** How often a standby tries the lease and an owner checks it; default 1000 ms. */
  leaseCheckMs?: number;
  /** How often the dead letters are counted again (at most); default 5000 ms. */
  deadLetterCountMs?: number;
  logger: Logger;
}

/** What a worker knows of its projection, for /health. */
export interface WorkerState {
  /** Whether this replica owns the projection now. */
  owned: boolean;
  checkpoint: Position | undefined;
  lagEvents: number | undefined;
  lagSeconds: number | undefined;
  deadLetters: number | undefined;
}

/** One projection in one projector replica: owner or standby. */
export interface ProjectionWorker {
  readonly projection: Projection;
  readonly state: WorkerState;
  stop(): Promise<void>;
}

/**
 * Runs one projection in a replica: it tries the projection's lease every
 * `leaseCheckMs`, applies the projection while it holds it, and hands it over
 * when a rebuild or replay asks (or stops when it is lost). It measures lag
 * (after every batch and poll) and dead letters whether it owns the
 * projection or not, so every replica reports them.
 */
export function startProjectionWorker(options: WorkerOptions): ProjectionWorker {
  const { projection, store, logger } = options;
  const leaseCheckMs = options.leaseCheckMs ?? 1000;
  const deadLetterCountMs = options.deadLetterCountMs ?? 5000;
  const session = openLeaseSession(
    options.readModelUrl,
    options.applicationName,
    BATCH_SETTINGS,
  );
  const lease = new Lease(session, projection.name);
  const state: WorkerState = {
    owned: false,
    checkpoint: undefined,
    lagEvents: undefined,
    lagSeconds: undefined,
    deadLetters: undefined,
  };
  let runner: ProjectionRunner | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let measuring: Promise<void> | undefined;
  let countedAt = 0;
  let ticking: Promise<void> | undefined;

  // After every batch and poll; one measurement at a time (the next batch measures again).
  const measure = (position: Position | undefined) => {
    if (measuring || stopped) return;
    measuring = measureNow(position).finally(() => measuring = undefined);
  };
  const countDeadLetters = async () => {
    const [row] = await options.readModel<{ n: number }[]>`
      SELECT count(*)::int AS n FROM projection_dead_letters WHERE projection = ${projection.name}`;
    return row?.n ?? 0;
  };
  const measureNow = async (position: Position | undefined) => {
    try {
      const at = position ?? await readCheckpoint(options.readModel, projection.name);
      const recount = Date.now() - countedAt >= deadLetterCountMs;
      const [lag, dead] = await Promise.all([
        options.reader ? options.reader.measureLag(at) : measureLag(store.sql, at),
        recount ? countDeadLetters() : undefined,
      ]);
      state.checkpoint = at;
      state.lagEvents = lag.events;
      state.lagSeconds = lag.seconds;
      setProjectionLag(projection.name, lag);
      if (dead !== undefined) {
        countedAt = Date.now();
        state.deadLetters = dead;
        setProjectionDeadLetters(projection.name, dead);
      }
    } catch (err) {
      logger.debug("lag not measured", { error: err });
    }
  };

  const release = async (why: string) => {
    const ending = runner;
    runner = undefined;
    state.owned = false;
    await ending?.stop();
    await lease.release(["lease"]).catch(() => {});
    logger.info("released the projection", { reason: why });
  };

  const tick = async () => {
    try {
      if (!runner) {
        if (await lease.tryAcquire()) {
          const started = await runProjection({
            projection,
            lease,
            store,
            reader: options.reader,
            wakeup: options.wakeup,
            batchSize: options.batchSize,
            pollMs: options.pollMs,
            logger,
            onBatch: (batch) => {
              state.checkpoint = batch.position;
              if (batch.deadLettered > 0) {
                state.deadLetters = (state.deadLetters ?? 0) + batch.deadLettered;
                setProjectionDeadLetters(projection.name, state.deadLetters);
              }
            },
            onPoll: (position) => measure(position),
          });
          if (stopped) {
            await started.stop();
            return;
          }
          runner = started;
          state.owned = true;
          state.checkpoint = started.position;
          logger.info("owning the projection", { from: started.position });
          const mine = started;
          mine.done.then(() => {
            if (runner === mine && !stopped) void release("lease lost");
          });
        } else {
          measure(undefined);
        }
      } else {
        const { held, takeover } = await lease.check();
        if (!held) await release("lease lost");
        else if (takeover) await release("handed over to a rebuild or replay");
      }
    } catch (err) {
      logger.warn("lease check failed", { error: err });
    } finally {
      if (!stopped) timer = setTimeout(() => ticking = tick(), leaseCheckMs);
    }
  };
  timer = setTimeout(() => ticking = tick(), 0);

  return {
    projection,
    state,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await measuring;
      await runner?.stop();
      runner = undefined;
      state.owned = false;
      // Ending the session releases the lease.
      await session.end({ timeout: 5 });
    },
  };
}
