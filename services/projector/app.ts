import { connect } from "@shared/db/connect.ts";
import {
  EventStore,
  type RecordedEvent,
  subscribe,
  type Subscription,
} from "@shared/event_store/mod.ts";
import {
  metricsHandler,
  setProjectionDeadLetters,
  setProjectionLag,
  withEventSpans,
} from "@shared/observability/mod.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import type { Logger } from "@shared/log/mod.ts";
import { publishChanges } from "@shared/projection/change_feed.ts";
import { readCheckpoint, writeCheckpoint } from "@shared/projection/checkpoint.ts";
import type { Projection } from "@shared/projection/types.ts";
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
  batchSize?: number;
  /** HTTP port of /health; 0 picks a free one, undefined serves none. */
  httpPort?: number;
}

/** A running projector. */
export interface Projector {
  /** Port of the /health endpoint, when served. */
  httpPort: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts one gap-safe subscription per projection. Each batch is applied and
 * its checkpoint advanced in one read-model transaction.
 */
export async function startProjector(options: ProjectorOptions): Promise<Projector> {
  const applicationName = processApplicationName("projector");
  const events = connect(options.eventStoreUrl, { max: 4, applicationName });
  const readModel = connect(options.readModelUrl, { max: 4, applicationName });
  const unobserve = [
    observePool("event_store", events, { max: 4, applicationName }),
    observePool("read_model", readModel, { max: 4, applicationName }),
  ];
  /** Sets a projection's lag gauges: events appended after `position`, and the age of the oldest. */
  const reportLag = async (name: string, position: RecordedEvent["position"]) => {
    const [row] = await events<{ behind: number; oldest: Date | null }[]>`
      SELECT count(*)::int AS behind, min(created_at) AS oldest FROM (
        SELECT created_at FROM events WHERE id > ${position.id}::bigint LIMIT 100000) AS later`;
    const behind = row?.behind ?? 0;
    const seconds = behind > 0 && row?.oldest ? (Date.now() - row.oldest.getTime()) / 1000 : 0;
    setProjectionLag(name, { events: behind, seconds: Math.max(0, seconds) });
  };
  const store = new EventStore(events);
  const subscriptions: Subscription[] = [];
  for (const projection of projections) {
    const log = options.logger.child({ projection: projection.name });
    const from = await readCheckpoint(readModel, projection.name);
    // Failed batches are retried, never skipped: nothing is dead-lettered.
    setProjectionDeadLetters(projection.name, 0);
    await reportLag(projection.name, from).catch(() => {});
    const applyBatch = async (batch: RecordedEvent[]): Promise<void> => {
      await readModel.begin(async (tx) => {
        await projection.apply(tx, batch);
        const position = batch.at(-1)!.position;
        await writeCheckpoint(tx, projection.name, position);
        await publishChanges(tx, projection.name, position, batch);
      });
      log.debug("applied", { events: batch.length, position: batch.at(-1)!.position.id });
      await reportLag(projection.name, batch.at(-1)!.position).catch(() => {});
    };
    subscriptions.push(
      await subscribe(store, {
        from,
        listen: events,
        pollMs: options.pollMs ?? 500,
        batchSize: options.batchSize ?? 500,
        handle: (batch) =>
          withEventSpans(`project ${projection.name}`, batch, () => applyBatch(batch)),
        onError: (err) => log.error("batch failed; retrying", { error: err }),
      }),
    );
    log.info("following", { from });
  }

  let http: Deno.HttpServer | undefined;
  if (options.httpPort !== undefined) {
    http = Deno.serve(
      { port: options.httpPort, hostname: "0.0.0.0", onListen: () => {} },
      async (req) => {
        const { pathname } = new URL(req.url);
        if (pathname === "/metrics") return await metricsHandler();
        if (pathname !== "/health") {
          return new Response("Not found", { status: 404 });
        }
        try {
          await readModel`SELECT 1`;
          const checkpoints = Object.fromEntries(
            subscriptions.map((s, i) => [projections[i]!.name, s.position]),
          );
          return Response.json({ status: "ok", checkpoints });
        } catch (err) {
          return Response.json({ status: "error", error: String(err) }, { status: 503 });
        }
      },
    );
  }

  return {
    httpPort: http ? (http.addr as Deno.NetAddr).port : undefined,
    async stop() {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await http?.shutdown();
      unobserve.forEach((stop) => stop());
      store.close();
      await Promise.all([events.end({ timeout: 5 }), readModel.end({ timeout: 5 })]);
    },
  };
}
