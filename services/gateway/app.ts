import { createSchema, createYoga, type Plugin } from "graphql-yoga";
import { checkHealth } from "@shared/grpc/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { createClients } from "./clients.ts";
import { type Context, createLoaders, requestMetadata } from "./context.ts";
import { toGraphQLError } from "./errors.ts";
import { catalogResolvers } from "./resolvers/catalog.ts";
import { orderResolvers } from "./resolvers/orders.ts";
import { typeDefs } from "./schema.ts";

/** Options of the gateway. */
export interface GatewayOptions {
  /** host:port of the command service. */
  commandAddress: string;
  /** host:port of the query service. */
  queryAddress: string;
  logger: Logger;
}

/** The gateway as a fetch handler, for Deno.serve or in-process tests. */
export interface Gateway {
  fetch(request: Request): Promise<Response>;
  close(): void;
}

/** Adds `extensions.consistencyToken` to the response of an operation that wrote events. */
const consistencyTokenPlugin: Plugin<Context> = {
  onExecute() {
    return {
      onExecuteDone({ args, result, setResult }) {
        const token = (args.contextValue as Context).consistencyToken;
        if (!token || !result || Symbol.asyncIterator in result) return;
        setResult({ ...result, extensions: { ...result.extensions, consistencyToken: token } });
      },
    };
  },
};

/** Builds the gateway: GraphQL on /graphql and dependency health on /health. */
export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const clients = createClients(options.commandAddress, options.queryAddress);
  const schema = createSchema<Context>({
    typeDefs,
    resolvers: [catalogResolvers, orderResolvers],
  });

  const yoga = createYoga<{ request: Request }, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    logging: false,
    plugins: [consistencyTokenPlugin],
    context: ({ request }) => {
      const metadata = requestMetadata(request);
      const ctx = { clients, metadata, read: { metadata } } as Context;
      ctx.loaders = createLoaders(clients, () => ctx.read);
      return ctx;
    },
    maskedErrors: { maskError: (error) => toGraphQLError(error, logger) },
  });

  async function health(): Promise<Response> {
    const [command, query] = await Promise.all([
      checkHealth(options.commandAddress),
      checkHealth(options.queryAddress),
    ]);
    const ok = command === "SERVING" && query === "SERVING";
    return Response.json({
      status: ok ? "ok" : "degraded",
      dependencies: {
        command: { address: options.commandAddress, status: command },
        query: { address: options.queryAddress, status: query },
      },
    }, { status: ok ? 200 : 503 });
  }

  return {
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname === "/health" && request.method === "GET") return health();
      return Promise.resolve(yoga.fetch(request));
    },
    close() {
      clients.close();
    },
  };
}

/** A running gateway HTTP server. */
export interface GatewayServer {
  port: number;
  stop(): Promise<void>;
}

/** Serves the gateway on `port` (0 picks a free one). */
export function startGateway(
  options: GatewayOptions & { port: number; host?: string },
): GatewayServer {
  const gateway = createGateway(options);
  const server = Deno.serve(
    { port: options.port, hostname: options.host ?? "0.0.0.0", onListen: () => {} },
    (request) => gateway.fetch(request),
  );
  return {
    port: (server.addr as Deno.NetAddr).port,
    async stop() {
      await server.shutdown();
      gateway.close();
    },
  };
}
