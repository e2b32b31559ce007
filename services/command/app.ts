import { connect, type Sql } from "@shared/db/connect.ts";
import type { SagaOptions } from "@shared/domain/order_saga/mod.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import type { VerifierOptions } from "@shared/auth/mod.ts";
import { createCallGuard } from "@shared/grpc/guard.ts";
import { reportDatabaseHealth } from "@shared/grpc/database_health.ts";
import { startGrpcServer } from "@shared/grpc/server.ts";
import type { ServerTls } from "@shared/grpc/tls.ts";
import { bindCommands, declaredIn } from "@shared/application/pipeline.ts";
import {
  categoryCommands,
  commandContracts,
  orderCommands,
  productCommands,
  sagaStepCommands,
} from "@proto/command/v1/contract.ts";
import { eventLogHandlers } from "./handlers/event_log.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import type { Logger } from "@shared/log/mod.ts";
import { type CommandDeps, commandDeps } from "./deps.ts";
import * as category from "./handlers/category.ts";
import * as categoryDelete from "./handlers/category_delete.ts";
import * as categoryUpdate from "./handlers/category_update.ts";
import * as inventory from "./handlers/inventory.ts";
import * as order from "./handlers/order.ts";
import * as payment from "./handlers/payment.ts";
import * as product from "./handlers/product.ts";
import * as saga from "./handlers/saga.ts";
import * as shipment from "./handlers/shipment.ts";
import type { Carrier, PaymentGateway } from "./ports.ts";

/** The modules whose exported declarations are the service's commands. */
const HANDLERS = [
  category,
  categoryUpdate,
  categoryDelete,
  product,
  inventory,
  order,
  saga,
  payment,
  shipment,
];

/** Options of the command service. */
export interface CommandServiceOptions {
  eventStoreUrl: string;
  port: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** TLS (or mutual TLS) of the gRPC listener; default plaintext. */
  tls?: ServerTls;
  logger: Logger;
  /**
   * How callers' bearer tokens are verified (the gateway's settings);
   * default: the development secret. Every RPC is authorized by the
   * access rule its contract declares (proto/command/v1/contract.ts).
   */
  auth?: VerifierOptions;
  poolSize?: number;
  /**
   * Bound of the aggregate states kept in memory, in events folded into them
   * (see StateCache); default DEFAULT_STATE_CACHE_EVENTS; 0 keeps none.
   */
  stateCacheEvents?: number;
  /** The payment gateway the saga's ProcessPayment and RefundPayment call; default: approves every charge. */
  paymentGateway?: PaymentGateway;
  /** The carrier the saga's ArrangeShipping and CancelShipping call; default: books every delivery. */
  carrier?: Carrier;
  /** Step and saga timeouts recorded by StartOrderSaga; default 30 s and 300 s. */
  sagaOptions?: SagaOptions;
}

/** A running command service. */
export interface CommandService {
  port: number;
  /** What the command functions run with, for in-process callers (the saga runner). */
  deps: CommandDeps;
  /**
   * Stops the service. `exiting`: the process exits next, so the gRPC server
   * drains (see GrpcServer.drain) instead of closing its connections.
   */
  stop(options?: { exiting?: boolean }): Promise<void>;
}

/**
 * How long one of this service's transactions may wait for its next
 * statement before the server rolls it back. Its transactions (the group
 * commit's) send their statements back to back, so a wait this long means
 * the process stopped mid-transaction (frozen, or its event loop blocked):
 * the streams' locks it holds would otherwise keep the other replicas from
 * running the same commands, retried there with the same command ids, for as
 * long as it stays stopped. It is ended instead, and those retries go
 * through within the caller's deadline. A process that wakes up finds the
 * transaction gone and its outcome unknown, which is what its caller was
 * already told.
 */
export const IDLE_IN_TRANSACTION_MS = 2000;

/** The service's pool on the event store: see {@link IDLE_IN_TRANSACTION_MS}. */
export function eventStorePool(url: string, max: number, applicationName: string): Sql {
  return connect(url, { max, applicationName, idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_MS });
}

/**
 * Starts the command service: the category, product and order command RPCs
 * and the saga's step RPCs over the event store.
 */
export async function startCommandService(options: CommandServiceOptions): Promise<CommandService> {
  const applicationName = processApplicationName("command-service");
  const max = options.poolSize ?? 10;
  const sql = eventStorePool(options.eventStoreUrl, max, applicationName);
  const unobserve = observePool("event_store", sql, { max, applicationName });
  const store = new EventStore(sql, { upcasters });
  // The rules of every contract the server binds below: it refuses to start if one is missing.
  const guard = createCallGuard(commandContracts, options.auth ? { auth: options.auth } : {});
  const deps = commandDeps(store, {
    guard,
    ...(options.stateCacheEvents !== undefined
      ? { stateCacheEvents: options.stateCacheEvents }
      : {}),
    ...(options.paymentGateway ? { paymentGateway: options.paymentGateway } : {}),
    ...(options.carrier ? { carrier: options.carrier } : {}),
    ...(options.sagaOptions ? { sagaOptions: options.sagaOptions } : {}),
  });
  const server = await startGrpcServer(
    [
      // Each command RPC runs the command pipeline (shared/application/pipeline.ts); the saga's
      // step RPCs are for its service identity only (docs/saga.md).
      ...[categoryCommands, productCommands, orderCommands, sagaStepCommands].map((contract) =>
        bindCommands(deps, contract, declaredIn(contract, HANDLERS))
      ),
      eventLogHandlers(store),
    ],
    {
      port: options.port,
      logger: options.logger,
      guard,
      ...(options.host ? { host: options.host } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
    },
  );
  const stopHealth = reportDatabaseHealth(server.health, sql, {
    name: "event_store",
    logger: options.logger,
  });
  return {
    port: server.port,
    deps,
    async stop({ exiting = false } = {}) {
      stopHealth();
      await (exiting ? server.drain() : server.shutdown());
      unobserve();
      store.close();
      await sql.end({ timeout: 5 });
    },
  };
}
