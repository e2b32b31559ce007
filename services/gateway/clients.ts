import {
  categoryCommands,
  eventLog,
  orderCommands,
  productCommands,
} from "@proto/command/v1/contract.ts";
import { categoryQueries, orderQueries, productQueries } from "@proto/query/v1/contract.ts";
import {
  type CallOptions,
  type Client,
  type ClientTls,
  closeOnRecovery,
  createClient,
  createServicePolicy,
  type Deadlines,
  defaultDeadlines,
  type HealthWatch,
  type ResilienceOptions,
  type ServiceContract,
  type ServicePolicy,
  watchHealth,
} from "@shared/grpc/mod.ts";

/** Typed clients of every service the gateway calls. */
export interface Clients {
  categoryCommands: Client<typeof categoryCommands>;
  productCommands: Client<typeof productCommands>;
  orderCommands: Client<typeof orderCommands>;
  eventLog: Client<typeof eventLog>;
  categoryQueries: Client<typeof categoryQueries>;
  productQueries: Client<typeof productQueries>;
  orderQueries: Client<typeof orderQueries>;
  /** One resilience policy (retries, circuit breaker) per service. */
  policies: { command: ServicePolicy; query: ServicePolicy };
  /** Each service's health, followed over its gRPC health Watch stream. */
  health: { command: HealthWatch; query: HealthWatch };
  close(): void;
}

/** How the gateway calls the services behind it. */
export interface ClientsOptions {
  deadlines?: Partial<Deadlines>;
  resilience?: ResilienceOptions;
  /**
   * The query service's longest wait for a consistency token (its
   * READ_CONSISTENCY_TIMEOUT_MS); default 5000 ms. A read with a token gets
   * this much more than its usual deadline, so the service's "not caught up"
   * answer arrives before the deadline, which would count as an outage.
   */
  consistencyTimeoutMs?: number;
  /** TLS to both services; default plaintext. */
  tls?: ClientTls;
}

/** A query client whose reads with a consistency token get a longer deadline. */
function withConsistencyDeadlines<S extends ServiceContract>(
  contract: S,
  client: Client<S>,
  deadlines: Deadlines,
  extraMs: number,
): Client<S> {
  const calls = client as unknown as Record<string, (input: unknown, o?: CallOptions) => unknown>;
  const wrapped: Record<string, unknown> = { close: () => client.close() };
  for (const [key, method] of Object.entries(contract.methods)) {
    const call = calls[key]!;
    wrapped[key] = (input: unknown, options: CallOptions = {}) =>
      options.metadata?.consistencyToken !== undefined && options.timeoutMs === undefined
        ? call(input, { ...options, timeoutMs: deadlines[method.kind] + extraMs })
        : call(input, options);
  }
  return wrapped as Client<S>;
}

/**
 * Connects to the command and query services. Each address names one
 * replica, a list of them or a DNS name (see serviceTarget): calls are spread
 * round-robin over the replicas that are connected, and a call lost with one
 * replica is retried on another. Each service's circuit closes as soon as its
 * health Watch reports it SERVING again after an outage (SERVING while any
 * replica serves).
 */
export function createClients(
  commandAddress: string,
  queryAddress: string,
  options: ClientsOptions = {},
): Clients {
  const policies = {
    command: createServicePolicy("command", options.resilience),
    query: createServicePolicy("query", options.resilience),
  };
  const tls = options.tls ? { tls: options.tls } : {};
  const health = {
    command: watchHealth(commandAddress, tls),
    query: watchHealth(queryAddress, tls),
  };
  const unfollow = [
    closeOnRecovery(policies.command, health.command),
    closeOnRecovery(policies.query, health.query),
  ];
  const deadlines = { ...defaultDeadlines, ...options.deadlines };
  const extraMs = options.consistencyTimeoutMs ?? 5000;
  const command = { deadlines, policy: policies.command, ...tls };
  const query = { deadlines, policy: policies.query, ...tls };
  const clients = {
    categoryCommands: createClient(categoryCommands, commandAddress, command),
    productCommands: createClient(productCommands, commandAddress, command),
    orderCommands: createClient(orderCommands, commandAddress, command),
    eventLog: createClient(eventLog, commandAddress, command),
    categoryQueries: withConsistencyDeadlines(
      categoryQueries,
      createClient(categoryQueries, queryAddress, query),
      deadlines,
      extraMs,
    ),
    productQueries: withConsistencyDeadlines(
      productQueries,
      createClient(productQueries, queryAddress, query),
      deadlines,
      extraMs,
    ),
    orderQueries: withConsistencyDeadlines(
      orderQueries,
      createClient(orderQueries, queryAddress, query),
      deadlines,
      extraMs,
    ),
  };
  return {
    ...clients,
    policies,
    health,
    close: () => {
      unfollow.forEach((stop) => stop());
      health.command.stop();
      health.query.stop();
      Object.values(clients).forEach((c) => c.close());
    },
  };
}
