import { createSchema, createYoga } from "graphql-yoga";
import { categoryCommands } from "@proto/command/v1/contract.ts";
import { categoryQueries } from "@proto/query/v1/contract.ts";
import type { z } from "zod";
import type { CategoryView } from "@proto/query/v1/contract.ts";
import { type CallMetadata, checkHealth, type Client, createClient } from "@shared/grpc/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { toGraphQLError } from "./errors.ts";
import { typeDefs } from "./schema.ts";

type Category = z.output<typeof CategoryView>;

/** Options of the gateway. */
export interface GatewayOptions {
  /** host:port of the command service. */
  commandAddress: string;
  /** host:port of the query service. */
  queryAddress: string;
  logger: Logger;
  /** How long a mutation waits for its change to be readable; default 2000 ms. */
  readAfterWriteMs?: number;
}

interface Context {
  metadata: CallMetadata;
  commands: Client<typeof categoryCommands>;
  queries: Client<typeof categoryQueries>;
}

/** The gateway as a fetch handler, for Deno.serve or in-process tests. */
export interface Gateway {
  fetch(request: Request): Promise<Response>;
  close(): void;
}

async function waitForCategory(
  queries: Context["queries"],
  id: string,
  version: number,
  deadlineMs: number,
): Promise<Category | undefined> {
  const until = Date.now() + deadlineMs;
  let delay = 5;
  for (;;) {
    const { category } = await queries.getCategory({ id });
    if (category && category.version >= version) return category;
    if (Date.now() + delay > until) return category;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

function requestMetadata(request: Request): CallMetadata {
  const h = request.headers;
  const metadata: CallMetadata = {
    correlationId: h.get("x-correlation-id") ?? crypto.randomUUID(),
  };
  const userId = h.get("x-user-id");
  if (userId) metadata.userId = userId;
  const traceparent = h.get("traceparent");
  if (traceparent) metadata.traceparent = traceparent;
  return metadata;
}

/** Builds the gateway: GraphQL on /graphql and dependency health on /health. */
export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const commands = createClient(categoryCommands, options.commandAddress);
  const queries = createClient(categoryQueries, options.queryAddress);
  const readAfterWriteMs = options.readAfterWriteMs ?? 2000;

  const schema = createSchema<Context>({
    typeDefs,
    resolvers: {
      Query: {
        category: async (_, args: { id: string }, ctx) =>
          (await ctx.queries.getCategory({ id: args.id }, { metadata: ctx.metadata })).category ??
            null,
        categories: async (_, __, ctx) =>
          (await ctx.queries.listCategories({}, { metadata: ctx.metadata })).categories,
      },
      Mutation: {
        createCategory: async (_, args: { input: Record<string, unknown> }, ctx) => {
          const commandId = crypto.randomUUID();
          const result = await ctx.commands.createCategory(args.input as never, {
            metadata: { ...ctx.metadata, commandId },
          });
          const category = await waitForCategory(
            ctx.queries,
            result.id,
            result.version,
            readAfterWriteMs,
          );
          if (category) return category;
          // Not projected yet: answer from what was written.
          const now = new Date().toISOString();
          const input = args.input as { name: string; description?: string; parentId?: string };
          return {
            id: result.id,
            name: input.name.trim(),
            description: input.description,
            parentId: input.parentId,
            path: [],
            depth: 0,
            version: result.version,
            createdAt: now,
            updatedAt: now,
          } satisfies Category;
        },
      },
      Category: {
        parent: async (c: Category, _, ctx) =>
          c.parentId
            ? (await ctx.queries.getCategory({ id: c.parentId }, { metadata: ctx.metadata }))
              .category ?? null
            : null,
        children: async (c: Category, _, ctx) =>
          (await ctx.queries.listCategories({ parentId: c.id }, { metadata: ctx.metadata }))
            .categories,
      },
    },
  });

  const yoga = createYoga<{ request: Request }, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    logging: false,
    context: ({ request }) => ({ metadata: requestMetadata(request), commands, queries }),
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
      commands.close();
      queries.close();
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
