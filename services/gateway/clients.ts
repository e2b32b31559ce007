import {
  categoryCommands,
  eventLog,
  orderCommands,
  productCommands,
} from "@proto/command/v1/contract.ts";
import { categoryQueries, orderQueries, productQueries } from "@proto/query/v1/contract.ts";
import {
  type Client,
  type ClientTls,
  createClient,
  createServicePolicy,
  type Deadlines,
  type ResilienceOptions,
  type ServicePolicy,
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
  close(): void;
}

/** How the gateway calls the services behind it. */
export interface ClientsOptions {
  deadlines?: Partial<Deadlines>;
  resilience?: ResilienceOptions;
  /** TLS to both services; default plaintext. */
  tls?: ClientTls;
}

/** Connects to the command and query services. */
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
  const command = { deadlines: options.deadlines ?? {}, policy: policies.command, ...tls };
  const query = { deadlines: options.deadlines ?? {}, policy: policies.query, ...tls };
  const clients = {
    categoryCommands: createClient(categoryCommands, commandAddress, command),
    productCommands: createClient(productCommands, commandAddress, command),
    orderCommands: createClient(orderCommands, commandAddress, command),
    eventLog: createClient(eventLog, commandAddress, command),
    categoryQueries: createClient(categoryQueries, queryAddress, query),
    productQueries: createClient(productQueries, queryAddress, query),
    orderQueries: createClient(orderQueries, queryAddress, query),
  };
  return {
    ...clients,
    policies,
    close: () => Object.values(clients).forEach((c) => c.close()),
  };
}
