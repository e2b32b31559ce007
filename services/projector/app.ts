import { connect } from "@shared/db/connect.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import {
  type HealthServer,
  lockHolders,
  serveHealth,
  SharedReader,
  startWakeup,
} from "@shared/consumer/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import type { Projection } from "@shared/projection/types.ts";
import {
  projectionCommitter,
  type ProjectionWorker,
  startProjectionWorker,
} from "@shared/projection/worker.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";

/** Every projection the projector runs. */
export const projections: Projection[] = [...readModelProjections];

/** Options of the projector. */
export interface ProjectorOptions {
  eventStoreUrl: string;
  readModelUrl: string;
  logger: Logger;
  /** Polling interval in milliseconds when no wake-up arrives; default 500. */
  pollMs?: number;
  /** Events per batch (and per transaction); default 500. */
  batchSize?: number;
  /** How often a standby tries each lease and an owner checks it; default 1000 ms. */
  leaseCheckMs?: number;
  /** The projections to run; default every projection of the read model. */
  projections?: readonly Projection[];
  /** HTTP port of /health and /metrics; 0 picks a free one, undefined serves none. */
  httpPort?: number;
}

/** A running projector. */
export interface Projector {
  /** Port of the /health endpoint, when served. */
  httpPort: number | undefined;
  /** The projections of this replica, owned or on standby. */
  workers: readonly ProjectionWorker[];
  stop(): Promise<void>;
}

/**
 * Starts a projector replica. Each projection is applied by the one replica
 * that holds its lease (an advisory lock on a session of its own); the
 * others stand by and take over when the owner goes away. Each batch, its
 * checkpoint, its dead letters and its change-feed notice commit in one
 * read-model transaction. One LISTEN connection, re-established by itself,
 * wakes every projection; they also poll. Lag and dead-letter gauges are set
 * after every batch and poll.
 */
export async function startProjector(options: ProjectorOptions): Promise<Projector> {
  const applicationName = processApplicationName("projector");
  const events = connect(options.eventStoreUrl, { max: 4, applicationName });
  // Lag queries on a connection of their own, so that they never hold up a read.
  const lag = connect(options.eventStoreUrl, { max: 1, applicationName });
  const readModel = connect(options.readModelUrl, { max: 2, applicationName });
  // Fail fast on a read model that is unreachable or not migrated.
  try {
    await readModel`SELECT 1 FROM projection_checkpoints, projection_dead_letters LIMIT 0`;
  } catch (err) {
    await Promise.all([events, lag, readModel].map((sql) => sql.end({ timeout: 1 })));
    throw err;
  }
  const unobserve = [
    observePool("event_store", events, { max: 4, applicationName }),
    observePool("read_model", readModel, { max: 2, applicationName }),
  ];
  const store = new EventStore(events, { upcasters });
  const reader = new SharedReader(store, { lagSql: lag });
  const wakeup = startWakeup(options.eventStoreUrl, {
    logger: options.logger,
    applicationName: "projector-wakeup",
  });
  const leaseName = `projector/${Deno.hostname()}/${Deno.pid}`;
  // One lease session for every projection: their batches of one notice commit together.
  const committer = projectionCommitter(options.readModelUrl, leaseName, options.leaseCheckMs);
  const workers = (options.projections ?? projections).map((projection) =>
    startProjectionWorker({
      projection,
      readModelUrl: options.readModelUrl,
      store,
      reader,
      readModel,
      wakeup,
      committer,
      applicationName: leaseName,
      batchSize: options.batchSize ?? 500,
      pollMs: options.pollMs ?? 500,
      leaseCheckMs: options.leaseCheckMs ?? 1000,
      logger: options.logger.child({ projection: projection.name }),
    })
  );

  const health = async () => {
    const holders = await lockHolders(readModel, workers.map((w) => w.projection.name));
    const owners = new Map(
      holders.filter((h) => h.kind === "lease").map((h) => [h.consumer, h.applicationName]),
    );
    const report = Object.fromEntries(workers.map((w) => {
      const s = w.state;
      return [w.projection.name, {
        owner: owners.get(w.projection.name) ?? null,
        ownedHere: s.owned,
        checkpoint: s.checkpoint ?? null,
        lagEvents: s.lagEvents ?? null,
        lagSeconds: s.lagSeconds ?? null,
        deadLetters: s.deadLetters ?? null,
      }];
    }));
    return { replica: leaseName, listening: wakeup.listening, projections: report };
  };
  const http: HealthServer | undefined = options.httpPort === undefined
    ? undefined
    : serveHealth({ port: options.httpPort, check: health });

  return {
    httpPort: http?.port,
    workers,
    async stop() {
      await http?.stop();
      await Promise.all(workers.map((w) => w.stop()));
      await committer.session.end({ timeout: 5 });
      await wakeup.stop();
      unobserve.forEach((stop) => stop());
      store.close();
      await Promise.all([events, lag, readModel].map((sql) => sql.end({ timeout: 5 })));
    },
  };
}
