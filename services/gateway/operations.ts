import { connect, type Sql } from "@shared/db/connect.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { ORIGIN } from "@shared/event_store/mod.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { NotFoundError } from "@shared/errors/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { type DeadLetter, listDeadLetters } from "@shared/consumer/dead_letters.ts";
import { measureLag } from "@shared/consumer/lag.ts";
import { rebuildProjection } from "@shared/projection/rebuild.ts";
import { replayDeadLetters } from "@shared/projection/replay.ts";
import { type ProjectionStatus, projectionStatus } from "@shared/projection/status.ts";
import type { Projection } from "@shared/projection/types.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";

/** A rebuild or a dead-letter replay started through the gateway. */
export interface ProjectionJob {
  id: string;
  kind: "rebuild" | "replay";
  projection: string;
  status: "running" | "done" | "failed";
  phase: string;
  done: number;
  total: number;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/** Projection operations (the `deno task projections:*` tools) for the console. */
export interface Operations {
  status(): Promise<ProjectionStatus[]>;
  deadLetters(projection?: string): Promise<DeadLetter[]>;
  /** Starts a job and answers at once; its progress shows in {@link Operations.jobs}. */
  start(kind: ProjectionJob["kind"], projection: string): ProjectionJob;
  jobs(): ProjectionJob[];
  close(): Promise<void>;
}

/** Jobs kept for the console, newest first. */
const KEPT_JOBS = 20;

function find(name: string): Projection {
  const found = readModelProjections.find((p) => p.name === name);
  if (!found) {
    throw new NotFoundError(
      `Unknown projection "${name}": expected one of ${
        readModelProjections.map((p) => p.name).join(", ")
      }`,
      { field: "projection" },
    );
  }
  return found;
}

/** Reports what a rebuild logs as its phases. */
function progressLogger(job: ProjectionJob, logger: Logger): Logger {
  const wrap = (base: Logger): Logger => ({
    ...base,
    info(message, fields) {
      job.phase = message;
      if (typeof fields?.events === "number") job.done = fields.events;
      base.info(message, fields);
    },
    child: (fields) => wrap(base.child(fields)),
  });
  return wrap(logger);
}

/**
 * Connects to both databases for projection operations: the same status,
 * rebuild and replay the command-line tools run, one job per projection at
 * a time (a second one is refused by the projection's lease).
 */
export function startOperations(
  urls: { eventStoreUrl: string; readModelUrl: string },
  logger: Logger,
): Operations {
  const applicationName = "gateway-operations";
  const eventStore: Sql = connect(urls.eventStoreUrl, { max: 3, applicationName });
  const readModel: Sql = connect(urls.readModelUrl, { max: 2, applicationName });
  const store = new EventStore(eventStore, { upcasters });
  const jobs: ProjectionJob[] = [];
  const running = new Set<Promise<void>>();
  const log = logger.child({ component: "operations" });

  async function run(job: ProjectionJob, projection: Projection): Promise<void> {
    try {
      if (job.kind === "rebuild") {
        job.total = (await measureLag(eventStore, ORIGIN)).events;
        job.phase = "filling fresh tables";
        const result = await rebuildProjection(projection, {
          store,
          readModelUrl: urls.readModelUrl,
          logger: progressLogger(job, log),
          applicationName: `gateway-rebuild/${Deno.pid}`,
        });
        job.done = result.events;
        job.phase = `swapped in at ${result.position.transactionId}:${result.position.id}`;
      } else {
        job.total = (await listDeadLetters(readModel, projection.name)).length;
        job.phase = "replaying";
        const result = await replayDeadLetters(projection, {
          store,
          readModelUrl: urls.readModelUrl,
          logger: log,
          applicationName: `gateway-replay/${Deno.pid}`,
        });
        job.done = result.replayed;
        job.phase = `${result.replayed} replayed, ${result.failed.length} still failing`;
        if (result.failed.length > 0) throw new Error(job.phase);
      }
      job.status = "done";
    } catch (err) {
      job.status = "failed";
      job.error = err instanceof Error ? err.message : String(err);
      log.warn("projection job failed", { kind: job.kind, projection: job.projection });
    } finally {
      job.finishedAt = new Date();
    }
  }

  return {
    status: () => projectionStatus(readModel, eventStore, readModelProjections.map((p) => p.name)),
    deadLetters: (projection) => {
      if (projection !== undefined) find(projection);
      return listDeadLetters(readModel, projection);
    },
    start(kind, name) {
      const projection = find(name);
      const job: ProjectionJob = {
        id: crypto.randomUUID(),
        kind,
        projection: name,
        status: "running",
        phase: "starting",
        done: 0,
        total: 0,
        startedAt: new Date(),
        finishedAt: null,
        error: null,
      };
      jobs.unshift(job);
      jobs.splice(KEPT_JOBS);
      const promise = run(job, projection).finally(() => running.delete(promise));
      running.add(promise);
      return job;
    },
    jobs: () => [...jobs],
    async close() {
      await Promise.allSettled([...running]);
      store.close();
      await Promise.all([eventStore.end({ timeout: 5 }), readModel.end({ timeout: 5 })]);
    },
  };
}
