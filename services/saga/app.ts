import { connect } from "@shared/db/connect.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import { DEFAULT_SAGA_OPTIONS, type SagaOptions } from "@shared/domain/order_saga/mod.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import {
  EventStore,
  type Position,
  type RecordedEvent,
  subscribe,
  type Subscription,
} from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { metricsHandler, withEventSpans } from "@shared/observability/mod.ts";
import { commandDeps } from "../command/deps.ts";
import type { Carrier, PaymentGateway } from "../command/ports.ts";
import { route, type Routed } from "./_inputs.ts";
import { forEachLimit } from "./_limit.ts";
import { SagaRunner } from "./_runner.ts";
import { commitBatch, readCheckpoint, saveInstances, unfinishedSagas } from "./_tables.ts";

/** Options of the saga worker. */
export interface SagaWorkerOptions {
  eventStoreUrl: string;
  logger: Logger;
  /** The outside systems the steps call; default: adapters that always succeed. */
  ports?: { paymentGateway?: PaymentGateway; carrier?: Carrier };
  /** Step and saga timeouts of the sagas it starts; default 30 s and 300 s. */
  sagaOptions?: Partial<SagaOptions>;
  /** Polling interval of the event subscription when no wake-up arrives; default 500 ms. */
  pollMs?: number;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** How often deadlines are checked; default 1000 ms. */
  timerMs?: number;
  /** First and longest delay between retries of a failed command; default 200 ms and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Sagas decided at once within a batch; default 16. */
  concurrency?: number;
  /** Event store pool size; default 10. */
  poolSize?: number;
  /** Port of /health and /metrics; 0 picks a free one, undefined serves none. */
  httpPort?: number;
  /** Default `0.0.0.0`. */
  hostname?: string;
}

/** A running saga worker. */
export interface SagaWorker {
  /** Port of /health and /metrics, when served. */
  httpPort: number | undefined;
  /** The last event whose saga decisions are recorded. */
  readonly position: Position;
  /** Unfinished sagas it looks after. */
  readonly running: number;
  /** Stops following events, lets the commands in flight finish, and closes. */
  stop(): Promise<void>;
}

/**
 * Starts the order saga worker: resumes the unfinished sagas (their pending
 * commands are sent again), then follows the global event order from its
 * checkpoint, feeding every event of an order, its inventory, payment and
 * shipment to the order's saga, and checks deadlines on a timer.
 */
export async function startSagaWorker(options: SagaWorkerOptions): Promise<SagaWorker> {
  const { logger } = options;
  const max = options.poolSize ?? 10;
  const applicationName = processApplicationName("saga-worker");
  const sql = connect(options.eventStoreUrl, { max, applicationName });
  const unobserve = observePool("event_store", sql, { max, applicationName });
  const store = new EventStore(sql, { upcasters });
  const sagaOptions = { ...DEFAULT_SAGA_OPTIONS, ...options.sagaOptions };
  const deps = commandDeps(store, {
    ...(options.ports?.paymentGateway ? { paymentGateway: options.ports.paymentGateway } : {}),
    ...(options.ports?.carrier ? { carrier: options.ports.carrier } : {}),
    sagaOptions,
  });
  const runner = new SagaRunner({
    deps,
    sagaOptions,
    logger,
    retryBaseMs: options.retryBaseMs ?? 200,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    save: (rows) => saveInstances(sql, rows),
  });
  const concurrency = options.concurrency ?? 16;
  let subscription: Subscription | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let http: Deno.HttpServer | undefined;
  try {
    const from = await readCheckpoint(sql);
    const unfinished = await unfinishedSagas(sql);
    await forEachLimit(unfinished, concurrency, ({ orderId }) => runner.handle(orderId, null));
    await runner.flush();
    logger.info("resumed", { sagas: unfinished.length, running: runner.running, from });

    const handleBatch = async (batch: RecordedEvent[]): Promise<void> => {
      const bySaga = new Map<string, Routed[]>();
      for (const event of batch) {
        const routed = route(event);
        if (!routed) continue;
        const list = bySaga.get(routed.orderId);
        if (list) list.push(routed);
        else bySaga.set(routed.orderId, [routed]);
      }
      await forEachLimit([...bySaga.values()], concurrency, async (inputs) => {
        for (const { orderId, input, event } of inputs) {
          await withEventSpans(
            `saga ${event.type}`,
            [event],
            // Observed now: a step's time runs from when the worker saw the last one end.
            () => runner.handle(orderId, input && { ...input, at: deps.now() }, event),
          );
        }
      });
      const rows = runner.takeDirty();
      try {
        await commitBatch(sql, batch.at(-1)!.position, rows);
      } catch (err) {
        runner.returnDirty(rows);
        throw err;
      }
    };
    subscription = await subscribe(store, {
      from,
      listen: sql,
      pollMs: options.pollMs ?? 500,
      batchSize: options.batchSize ?? 500,
      handle: handleBatch,
      onError: (err) => logger.error("saga batch failed; retrying", { error: err }),
    });
    timer = setInterval(() => runner.tick(), options.timerMs ?? 1000);
    if (options.httpPort !== undefined) {
      const active = subscription;
      http = serveHealth(options.httpPort, options.hostname ?? "0.0.0.0", async () => {
        await sql`SELECT 1`;
        return {
          position: active.position,
          runningSagas: runner.running,
          commandsInFlight: runner.commandsInFlight,
        };
      });
    }
  } catch (err) {
    clearInterval(timer);
    unobserve();
    await subscription?.stop();
    await runner.stop();
    store.close();
    await sql.end({ timeout: 5 });
    throw err;
  }

  const active = subscription;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    clearInterval(timer);
    await active.stop();
    await runner.stop();
    await runner.flush().catch((err) => logger.warn("cannot record sagas", { error: err }));
    await http?.shutdown();
    unobserve();
    store.close();
    await sql.end({ timeout: 5 });
  };
  return {
    httpPort: http ? (http.addr as Deno.NetAddr).port : undefined,
    get position() {
      return active.position;
    },
    get running() {
      return runner.running;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** Serves /metrics, and /health with `status` after `check` (503 when it throws). */
function serveHealth(
  port: number,
  hostname: string,
  check: () => Promise<Record<string, unknown>>,
): Deno.HttpServer {
  return Deno.serve({ port, hostname, onListen: () => {} }, async (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/metrics") return await metricsHandler();
    if (pathname !== "/health") return new Response("Not found", { status: 404 });
    try {
      return Response.json({ status: "ok", ...(await check()) });
    } catch (err) {
      return Response.json({ status: "error", error: String(err) }, { status: 503 });
    }
  });
}
