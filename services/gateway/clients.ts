import { categoryCommands, orderCommands, productCommands } from "@proto/command/v1/contract.ts";
import { categoryQueries, orderQueries, productQueries } from "@proto/query/v1/contract.ts";
import { type Client, type ClientOptions, createClient } from "@shared/grpc/mod.ts";

/** Typed clients of every service the gateway calls. */
export interface Clients {
  categoryCommands: Client<typeof categoryCommands>;
  productCommands: Client<typeof productCommands>;
  orderCommands: Client<typeof orderCommands>;
  categoryQueries: Client<typeof categoryQueries>;
  productQueries: Client<typeof productQueries>;
  orderQueries: Client<typeof orderQueries>;
  close(): void;
}

/** Connects to the command and query services. */
export function createClients(
  commandAddress: string,
  queryAddress: string,
  options: ClientOptions = {},
): Clients {
  const clients = {
    categoryCommands: createClient(categoryCommands, commandAddress, options),
    productCommands: createClient(productCommands, commandAddress, options),
    orderCommands: createClient(orderCommands, commandAddress, options),
    categoryQueries: createClient(categoryQueries, queryAddress, options),
    productQueries: createClient(productQueries, queryAddress, options),
    orderQueries: createClient(orderQueries, queryAddress, options),
  };
  return {
    ...clients,
    close: () => Object.values(clients).forEach((c) => c.close()),
  };
}
