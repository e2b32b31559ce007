import { StateCache } from "@shared/application/states.ts";
import { type ConsumerProcess, runConsumerProcess } from "@shared/consumer/mod.ts";
import { connect } from "@shared/db/connect.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import { DEFAULT_SAGA_OPTIONS, type SagaOptions } from "@shared/domain/order_saga/mod.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore, type Position } from "@shared/event_store/mod.ts";
import type { ClientTls } from "@shared/grpc/tls.ts";
import type { Logger } from "@shared/log/mod.ts";
import { createCommandSender } from "./_commands.ts";
import { sagaHandler } from "./_consumer.ts";
import { type SagaSigning, SagaTokens } from "./_token.ts";
import { SAGA_CHECKPOINTS } from "./_tables.ts";

/** Options of the saga worker. */
export interface SagaWorkerOptions {
  eventStoreUrl: string;
  logger: Logger;
  /**
   * The command service every command goes to: `host:port`, a list of
   * replicas, or `dns:///name:port` (COMMAND_SERVICE_ADDRESS).
   */
  commandAddress: string;
  /** TLS to the command service; default plaintext. */
  commandTls?: ClientTls;
  /** Deadline of one command call; default 30 s. */
  commandDeadlineMs?: number;
  /** How the saga signs its service tokens; default the development secret. */
  signing?: SagaSigning;
  /** Step and saga timeouts of the sagas it starts; default 30 s and 300 s. */
  sagaOptions?: Partial<SagaOptions>;
  /** Polling interval when no wake-up arrives, and retry interval of a failed batch; default 500 ms. */
  pollMs?: number;
  /** How often a standby replica tries the lease and the owner checks it; default 1000 ms. */
  leaseCheckMs?: number;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** How often deadlines are checked; default 1000 ms. */
  timerMs?: number;
  /** First and longest delay between retries of a failed command; default 200 ms and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Sagas decided at once within a batch; default 16. */
  concurrency?: number;
  /**
   * Step commands sent to the command service at once; the others wait their
   * turn; default 32.
   */
  commandsAtOnce?: number;
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
 * Starts a replica of the order saga worker on the consumer runtime: the
 * replica holding the worker's lease (an advisory lock in the event store)
 * resumes the unfinished sagas (their pending commands are sent again), then
 * follows the global event order from its checkpoint, feeding every event of
 * an order, its inventory, payment and shipment to the order's saga, and
 * checks deadlines on a timer; the others stand by and take over when it
 * goes. The commands its sagas decide go to the command service over gRPC,
 * under the saga's own service token. Returns once the first try of the
 * lease is done.
 */
export async function startSagaWorker(options: SagaWorkerOptions): Promise<SagaWorker> {
  const { logger } = options;
  const max = options.poolSize ?? 10;
  const applicationName = processApplicationName("saga-worker");
  const sql = connect(options.eventStoreUrl, { max, applicationName });
  // Fail fast on an event store that is unreachable or not migrated.
  try {
    await sql`SELECT 1 FROM saga_checkpoints, saga_instances LIMIT 0`;
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
  const unobserve = observePool("event_store", sql, { max, applicationName });
  const store = new EventStore(sql, { upcasters });
  const sagaOptions = { ...DEFAULT_SAGA_OPTIONS, ...options.sagaOptions };
  const commands = createCommandSender({
    address: options.commandAddress,
    tls: options.commandTls,
    deadlineMs: options.commandDeadlineMs,
    tokens: new SagaTokens(options.signing),
  });
  /** Closes what the worker opened before its consumer, in reverse order. */
  const release = async () => {
    commands.close();
    unobserve();
    store.close();
    await sql.end({ timeout: 5 });
  };
  try {
    // A token the command service refuses stops the worker here, in one line, before any saga
    // could wait on it; a command service that is not up yet is waited for by the steps.
    if ((await commands.checkIdentity()) === "unreachable") {
      logger.warn("the command service does not answer yet; the saga's steps will wait for it", {
        address: options.commandAddress,
      });
    }
  } catch (err) {
    await release();
    throw err;
  }
  // Saga streams are short: 10,000 of them fit in the bound.
  const states = new StateCache(100_000);
  const deps = { store, states, now: () => new Date().toISOString(), commands };
  const handler = sagaHandler({
    deps,
    sagaOptions,
    sql,
    logger,
    retryBaseMs: options.retryBaseMs ?? 200,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    concurrency: options.concurrency ?? 16,
    commandsAtOnce: options.commandsAtOnce ?? 32,
    timerMs: options.timerMs ?? 1000,
  });
  const pollMs = options.pollMs ?? 500;
  let running: ConsumerProcess;
  try {
    running = await runConsumerProcess({
      handler,
      checkpoints: SAGA_CHECKPOINTS,
      databaseUrl: options.eventStoreUrl,
      sql,
      store,
      applicationName,
      wakeupName: "saga-wakeup",
      batchSize: options.batchSize ?? 500,
      pollMs,
      // A saga input is never skipped: a failed batch is retried, every poll, until it passes.
      deadLetters: false,
      maxRetryMs: pollMs,
      spanName: null,
      ...(options.leaseCheckMs === undefined ? {} : { leaseCheckMs: options.leaseCheckMs }),
      logger,
      httpPort: options.httpPort,
      hostname: options.hostname,
      health: (s) => ({
        runningSagas: s.owned ? handler.runner?.running ?? 0 : 0,
        commandsInFlight: s.owned ? handler.runner?.commandsInFlight ?? 0 : 0,
      }),
    });
  } catch (err) {
    await release();
    throw err;
  }

  const consumer = running;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await consumer.stop();
    await release();
  };
  return {
    httpPort: consumer.httpPort,
    get position() {
      return consumer.position;
    },
    get running() {
      return handler.runner?.running ?? 0;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
