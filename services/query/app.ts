import { CONNECT_TIMEOUT_S, openPostgres, type Sql } from "@shared/db/connect.ts";
import type { VerifierOptions } from "@shared/auth/mod.ts";
import { createCallGuard } from "@shared/grpc/guard.ts";
import { reportDatabaseHealth } from "@shared/grpc/database_health.ts";
import { startGrpcServer, wrapBinding } from "@shared/grpc/server.ts";
import type { ServerTls } from "@shared/grpc/tls.ts";
import { observeQuery } from "@shared/observability/mod.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import type { Logger } from "@shared/log/mod.ts";
import { ConsistencyWaiter, readStoreHead } from "@shared/projection/consistency.ts";
import { queryContracts } from "@proto/query/v1/contract.ts";
import { categoryHandlers } from "./categories.ts";
import { consistencyGuard } from "./consistency.ts";
import { orderHandlers } from "./orders.ts";
import { productHandlers } from "./products.ts";

/** Options of the query service. */
export interface QueryServiceOptions {
  readModelUrl: string;
  /**
   * The event store, read only for its head, so a consistency token beyond
   * it is refused at once; without it such a token waits out the timeout.
   */
  eventStoreUrl?: string;
  port: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** TLS (or mutual TLS) of the gRPC listener; default plaintext. */
  tls?: ServerTls;
  logger: Logger;
  /**
   * How callers' bearer tokens are verified (the gateway's settings);
   * default: the development secret. Every RPC is authorized by the
   * access rule its contract declares (proto/query/v1/contract.ts).
   */
  auth?: VerifierOptions;
  poolSize?: number;
  /** How long a call with a consistency token may wait for the projections; default 5000 ms. */
  consistencyTimeoutMs?: number;
  /** Follow the projector's change feed to end consistency waits at once; default true. */
  listenForChanges?: boolean;
}

/** A running query service. */
export interface QueryService {
  port: number;
  /**
   * Stops the service. `exiting`: the process exits next, so the gRPC server
   * drains (see GrpcServer.drain) instead of closing its connections.
   */
  stop(options?: { exiting?: boolean }): Promise<void>;
}

/**
 * The pool of the read model, as `connect()` makes it but with custom plans
 * forced: the searches are parameter-sensitive (a category of 500 rows or a
 * whole catalogue, a narrow or a wide price range), and the generic plan
 * PostgreSQL switches a prepared statement to after five runs made the
 * advanced search about 4x slower at 100,000 products (13 ms against 3 ms).
 */
function readModelPool(url: string, max: number, applicationName: string): Sql {
  return openPostgres(url, {
    max,
    connection: { application_name: applicationName, plan_cache_mode: "force_custom_plan" },
    idle_timeout: 30,
    connect_timeout: CONNECT_TIMEOUT_S,
  });
}

/**
 * Starts the query service: every RPC of the category, product and order
 * query contracts, answered from the read model database.
 */
export async function startQueryService(options: QueryServiceOptions): Promise<QueryService> {
  const applicationName = processApplicationName("query-service");
  const max = options.poolSize ?? 10;
  const sql = readModelPool(options.readModelUrl, max, applicationName);
  const unobserve = observePool("read_model", sql, { max, applicationName });
  const eventStore = options.eventStoreUrl
    ? openPostgres(options.eventStoreUrl, {
      max: 2,
      connection: { application_name: applicationName, default_transaction_read_only: true },
      idle_timeout: 30,
      connect_timeout: 2,
    })
    : undefined;
  const waiter = new ConsistencyWaiter(sql, {
    ...(options.listenForChanges ?? true ? { listenUrl: options.readModelUrl } : {}),
    ...(eventStore ? { head: () => readStoreHead(eventStore) } : {}),
  });
  const consistent = consistencyGuard(waiter, options.consistencyTimeoutMs ?? 5000);
  const server = await startGrpcServer(
    [
      categoryHandlers(sql, consistent),
      productHandlers(sql, consistent),
      orderHandlers(sql, consistent),
    ].map((binding) => wrapBinding(binding, (method, call) => observeQuery(method, call))),
    {
      port: options.port,
      logger: options.logger,
      guard: createCallGuard(queryContracts, options.auth ? { auth: options.auth } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
    },
  );
  const stopHealth = reportDatabaseHealth(server.health, sql, {
    name: "read_model",
    logger: options.logger,
  });
  return {
    port: server.port,
    async stop({ exiting = false } = {}) {
      stopHealth();
      await (exiting ? server.drain() : server.shutdown());
      unobserve();
      await waiter.close();
      await sql.end({ timeout: 5 });
      await eventStore?.end({ timeout: 5 });
    },
  };
}
