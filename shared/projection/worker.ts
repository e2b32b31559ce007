import type { Sql } from "@shared/db/connect.ts";
import {
  BatchCommitter,
  type Consumer,
  type ConsumerHandler,
  openLeaseSession,
  startConsumer,
} from "@shared/consumer/mod.ts";
import type { SharedReader, Wakeup } from "@shared/consumer/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { setProjectionDeadLetters, setProjectionLag } from "@shared/observability/mod.ts";
import { changeNotices } from "./change_feed.ts";
import { PROJECTION_CHECKPOINTS } from "./checkpoint.ts";
import type { Projection } from "./types.ts";

/**
 * Settings of the projector's write sessions (the lease session). Handlers
 * join a batch (a JSON recordset, which the planner guesses at 100 rows) to
 * their tables by key; hash and merge joins then scan whole tables where a
 * few index probes do: off, a rebuild of the products from 100,000 events
 * spent 2.0 s in SQL instead of 5.4 s. A batch's commit does not wait for its
 * WAL flush: a server crash may lose the last batches, but each with its
 * checkpoint, so they are applied again, never half or twice (the read model
 * is derived).
 */
export const BATCH_SETTINGS: Readonly<Record<string, string>> = {
  enable_hashjoin: "off",
  enable_mergejoin: "off",
  synchronous_commit: "off",
};

/**
 * A projection as a consumer's handler: it applies the batch, and announces
 * the applied events on the read model's change feed from the same
 * transaction.
 */
export function projectionHandler(projection: Projection): ConsumerHandler {
  return {
    name: projection.name,
    apply: (tx, events) => projection.apply(tx, events),
    notices: (position, events) => changeNotices(projection.name, position, events),
  };
}

/**
 * Opens the lease session the projections of a process share, with its
 * committer: each projection holds its own lease on it, and their batches,
 * woken by the same notice, commit in one transaction (each fenced by its
 * own lease, with its own checkpoint and notice) instead of one each. End
 * its session after the workers have stopped.
 */
export function projectionCommitter(
  readModelUrl: string,
  applicationName: string,
  leaseCheckMs?: number,
): BatchCommitter {
  return new BatchCommitter(
    openLeaseSession(readModelUrl, applicationName, BATCH_SETTINGS, leaseCheckMs),
  );
}

/** Options of {@link startProjectionWorker}. */
export interface WorkerOptions {
  projection: Projection;
  readModelUrl: string;
  /** The event store; its pool also serves the lag queries. */
  store: EventStore;
  /** Reads shared by the workers of a process. */
  reader?: SharedReader | undefined;
  /** A pool on the read model, for the checkpoint on standby and the dead-letter count. */
  readModel: Sql;
  wakeup?: Wakeup | undefined;
  /**
   * The committer of the lease session the process's projections share (see
   * {@link projectionCommitter}); default a session of the projection's own.
   */
  committer?: BatchCommitter | undefined;
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

/** One projection in one projector replica: the consumer runtime with the projection's handler. */
export interface ProjectionWorker extends Consumer {
  readonly projection: Projection;
}

/**
 * Runs one projection in a replica on the consumer runtime: one replica at
 * a time applies it, each batch with its checkpoint, its dead letters and
 * its change-feed notice in one read-model transaction; every replica sets
 * its lag and dead-letter gauges.
 */
export function startProjectionWorker(options: WorkerOptions): ProjectionWorker {
  const { projection } = options;
  const consumer = startConsumer({
    handler: projectionHandler(projection),
    checkpoints: PROJECTION_CHECKPOINTS,
    databaseUrl: options.readModelUrl,
    sessionSettings: BATCH_SETTINGS,
    sql: options.readModel,
    ...(options.committer ? { committer: options.committer } : {}),
    store: options.store,
    reader: options.reader,
    wakeup: options.wakeup,
    applicationName: options.applicationName,
    batchSize: options.batchSize,
    pollMs: options.pollMs,
    deadLetters: true,
    spanName: `project ${projection.name}`,
    ...(options.leaseCheckMs === undefined ? {} : { leaseCheckMs: options.leaseCheckMs }),
    ...(options.deadLetterCountMs === undefined
      ? {}
      : { deadLetterCountMs: options.deadLetterCountMs }),
    onLag: (lag) => setProjectionLag(projection.name, lag),
    onDeadLetters: (count) => setProjectionDeadLetters(projection.name, count),
    logger: options.logger,
  });
  return Object.assign(consumer, { projection });
}
