import { connect } from "@shared/db/connect.ts";
import type { SagaOptions } from "@shared/domain/order_saga/mod.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import type { VerifierOptions } from "@shared/auth/mod.ts";
import { createCallGuard } from "@shared/grpc/guard.ts";
import { reportDatabaseHealth } from "@shared/grpc/database_health.ts";
import { startGrpcServer, wrapBinding } from "@shared/grpc/server.ts";
import type { ServerTls } from "@shared/grpc/tls.ts";
import { observeCommand } from "@shared/observability/mod.ts";
import { eventLogHandlers } from "./handlers/event_log.ts";
import { observePool, processApplicationName } from "@shared/db/pool_metrics.ts";
import type { Logger } from "@shared/log/mod.ts";
import { type CommandDeps, commandDeps } from "./deps.ts";
import { categoryHandlers } from "./handlers/category.ts";
import { orderHandlers } from "./handlers/order.ts";
import { productHandlers } from "./handlers/product.ts";
import { sagaStepHandlers } from "./handlers/saga_steps.ts";
import type { Carrier, PaymentGateway } from "./ports.ts";

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
   * access policy (shared/auth/policy.ts).
   */
  auth?: VerifierOptions;
  poolSize?: number;
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
  /** What the command functions run with, for tests that call them in-process. */
  deps: CommandDeps;
  stop(): Promise<void>;
}

/**
 * Starts the command service: the category, product and order command RPCs
 * and the saga's step RPCs over the event store.
 */
export async function startCommandService(options: CommandServiceOptions): Promise<CommandService> {
  const applicationName = processApplicationName("command-service");
  const max = options.poolSize ?? 10;
  const sql = connect(options.eventStoreUrl, { max, applicationName });
  const unobserve = observePool("event_store", sql, { max, applicationName });
  const store = new EventStore(sql, { upcasters });
  const deps = commandDeps(store, {
    ...(options.paymentGateway ? { paymentGateway: options.paymentGateway } : {}),
    ...(options.carrier ? { carrier: options.carrier } : {}),
    ...(options.sagaOptions ? { sagaOptions: options.sagaOptions } : {}),
  });
  const server = await startGrpcServer(
    [
      ...[
        categoryHandlers(deps),
        productHandlers(deps),
        orderHandlers(deps),
        sagaStepHandlers(deps),
      ].map((binding) => wrapBinding(binding, (method, call) => observeCommand(method, call))),
      eventLogHandlers(store),
    ],
    {
      port: options.port,
      logger: options.logger,
      guard: createCallGuard(options.auth ? { auth: options.auth } : {}),
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
    async stop() {
      stopHealth();
      await server.shutdown();
      unobserve();
      store.close();
      await sql.end({ timeout: 5 });
    },
  };
}
