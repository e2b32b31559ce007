import type { DefinitionNode } from "graphql";
import { createSchema, createYoga, type Plugin } from "graphql-yoga";
import {
  checkHealth,
  type ClientTls,
  type Deadlines,
  type HealthWatch,
  type ResilienceOptions,
} from "@shared/grpc/mod.ts";
import type { ValidationError } from "@shared/errors/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import {
  metricsHandler,
  observeHttpRequest,
  startRuntimeMetrics,
  watchCircuit,
} from "@shared/observability/mod.ts";
import { CATEGORIES, PRODUCTS, STATISTICS } from "@shared/read_models/mod.ts";
import { type CacheOptions, createQueryCache, type QueryCache } from "./cache.ts";
import { type Clients, createClients } from "./clients.ts";
import {
  type Caller,
  checkMetadataHeaders,
  type Context,
  createLoaders,
  requestMetadata,
} from "./context.ts";
import { checkEncoding } from "./encoding.ts";
import { toGraphQLError } from "./errors.ts";
import { type ChangeFeed, startChangeFeed } from "./feed.ts";
import { type CorsPolicy, refuseFormPost, withCors } from "./cors.ts";
import { requestError } from "./http_errors.ts";
import {
  defaultLimits,
  limitPlugins,
  noIntrospection,
  type QueryLimits,
  readBody,
} from "./limits.ts";
import { ResponseCache } from "./response_cache.ts";
import { type AuthOptions, bearerRequest, createAuthenticator } from "./auth.ts";
import { auditResolvers } from "./resolvers/audit.ts";
import { catalogResolvers } from "./resolvers/catalog.ts";
import { orderResolvers } from "./resolvers/orders.ts";
import { commandMutations } from "./resolvers/mutations.ts";
import { subscriptionResolvers } from "./resolvers/subscriptions.ts";
import { typeDefs } from "./schema.ts";
import { consoleTypeDefs } from "./console_schema.ts";
import { isConsolePath, serveConsole } from "./console_static.ts";
import { type Operations, startOperations } from "./operations.ts";
import { consoleResolvers } from "./resolvers/console.ts";
import { operationsResolvers, type ServiceHealth } from "./resolvers/operations.ts";
import { upgradeToGraphQLWs } from "./ws.ts";
import { jsonRequests } from "./json_requests.ts";
import { listening } from "@shared/runtime/startup.ts";

/** Options of the gateway. */
export interface GatewayOptions {
  /** host:port of the command service. */
  commandAddress: string;
  /** host:port of the query service. */
  queryAddress: string;
  /** TLS to the command and query services (mutual with a client certificate); default plaintext. */
  grpcTls?: ClientTls;
  /** The read model database, whose change feed drives subscriptions and cache invalidation. */
  readModelUrl?: string;
  /** First delay before the change feed's LISTEN connection is made again after a drop; default 100 ms. */
  changeFeedRetryMs?: number;
  /** Subscriptions open at once, over SSE and WebSocket together; default 10,000. */
  maxSubscriptions?: number;
  logger: Logger;
  /**
   * `production` masks internals, turns introspection and GraphiQL off unless
   * enabled, leaves /metrics to the metrics port and service addresses out of /health.
   */
  mode?: "development" | "production";
  introspection?: boolean;
  graphiql?: boolean;
  limits?: Partial<QueryLimits>;
  deadlines?: Partial<Deadlines>;
  resilience?: ResilienceOptions;
  /** The query service's longest consistency wait; reads with a token get this much longer. */
  consistencyTimeoutMs?: number;
  /** Read-through cache settings; `false` turns the cache off. */
  cache?: CacheOptions | false;
  /** Bearer token checks; default: the development secret (production needs a strong secret or a JWKS). */
  auth?: AuthOptions;
  /** The event store, for the console's projection operations (with `readModelUrl`); off without. */
  eventStoreUrl?: string;
  /** Health URLs of the processes the gateway does not call (projector, saga worker), by name. */
  healthUrls?: Record<string, string>;
  /**
   * Which browser origins may read answers (cors.ts `corsPolicyOf`); default:
   * any origin without credentials in development, none in production.
   */
  cors?: CorsPolicy;
}

/** The gateway as a fetch handler, for Deno.serve or in-process tests. */
export interface Gateway {
  fetch(request: Request): Promise<Response>;
  clients: Clients;
  cache: QueryCache | undefined;
  /** Whole answers of anonymous queries; off with the cache. */
  responses: ResponseCache | undefined;
  feed: ChangeFeed | undefined;
  close(): Promise<void>;
}

function refused(request: Request, err: ValidationError): Response {
  return requestError(request, 400, { message: err.message, code: err.code, fields: err.issues });
}

function unauthenticated(request: Request, err: unknown): Response {
  const message = err instanceof Error ? err.message : "Authentication failed";
  return requestError(request, 401, { message, code: "UNAUTHENTICATED" }, {
    "www-authenticate": "Bearer",
  });
}

/**
 * Records the kind of operation executed, and adds `extensions.consistencyToken`
 * to the response of an operation that wrote events.
 */
const operationPlugin: Plugin<Context> = {
  onExecute({ args }) {
    const state = (args.contextValue as Context).state;
    if (state) {
      const operation = args.document.definitions.find((d: DefinitionNode) =>
        d.kind === "OperationDefinition" &&
        (!args.operationName || d.name?.value === args.operationName)
      );
      if (operation?.kind === "OperationDefinition") state.operation = operation.operation;
    }
    return {
      onExecuteDone({ args, result, setResult }) {
        const token = (args.contextValue as Context).state?.consistencyToken;
        if (!token || !result || Symbol.asyncIterator in result) return;
        setResult({ ...result, extensions: { ...result.extensions, consistencyToken: token } });
      },
    };
  },
};

/** Builds the gateway: GraphQL on /graphql (HTTP, SSE, WebSocket) and health on /health. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const production = options.mode === "production";
  const cors: CorsPolicy = options.cors ?? (production ? "none" : "any");
  const authenticate = createAuthenticator(options.auth, production);
  const callers = new WeakMap<Request, Caller | undefined>();
  /** The verified caller of a request: undefined without a token; UnauthenticatedError for a bad one. */
  const callerOf = async (request: Request): Promise<Caller | undefined> => {
    const principal = await authenticate(request);
    if (!principal) return undefined;
    const token = (request.headers.get("authorization") ?? "").trim().replace(/^bearer +/i, "");
    return { principal, authorization: `Bearer ${token}` };
  };
  const limits = { ...defaultLimits, ...options.limits };
  const raw = createClients(options.commandAddress, options.queryAddress, {
    ...(options.deadlines ? { deadlines: options.deadlines } : {}),
    ...(options.resilience ? { resilience: options.resilience } : {}),
    ...(options.consistencyTimeoutMs !== undefined
      ? { consistencyTimeoutMs: options.consistencyTimeoutMs }
      : {}),
    ...(options.grpcTls ? { tls: options.grpcTls } : {}),
  });
  const feed = options.readModelUrl
    ? await startChangeFeed(options.readModelUrl, logger, {
      retryMs: options.changeFeedRetryMs,
      maxSubscriptions: options.maxSubscriptions,
    })
    : undefined;
  const cache = feed && options.cache !== false
    ? createQueryCache(feed, logger, options.cache ?? {})
    : undefined;
  const responses = feed && options.cache !== false && options.cache?.responseMaxBytes !== 0
    ? new ResponseCache(feed, options.cache)
    : undefined;
  const states = new WeakMap<Request, Context["state"]>();
  const clients: Clients = cache
    ? {
      ...raw,
      categoryQueries: cache.wrap("category", raw.categoryQueries, [
        CATEGORIES,
        PRODUCTS,
        STATISTICS,
      ]),
      productQueries: cache.wrap("product", raw.productQueries, [PRODUCTS, CATEGORIES, STATISTICS]),
      // Not cached: an order answer depends on who asks (a customer sees only their own).
      orderQueries: raw.orderQueries,
    }
    : raw;

  const runtime = startRuntimeMetrics();
  const unwatch = [
    watchCircuit("command", raw.policies.command),
    watchCircuit("query", raw.policies.query),
  ];

  const operations: Operations | undefined = options.eventStoreUrl && options.readModelUrl
    ? startOperations(
      { eventStoreUrl: options.eventStoreUrl, readModelUrl: options.readModelUrl },
      logger,
    )
    : undefined;
  const schema = createSchema<Context>({
    typeDefs: [typeDefs, consoleTypeDefs],
    resolvers: [
      catalogResolvers,
      orderResolvers,
      { Mutation: commandMutations() },
      subscriptionResolvers,
      auditResolvers,
      consoleResolvers({
        mode: production ? "production" : "development",
        // Only where tokens are verified with the development secret, which anyone may know.
        developmentSignIn: !production && !options.auth?.secret && !options.auth?.jwksUrl,
        operations: operations !== undefined,
      }),
      operationsResolvers(operations, () => serviceHealth()),
    ],
  });
  const plugins: Plugin[] = [jsonRequests, operationPlugin as Plugin, ...limitPlugins(limits)];
  if (production ? !options.introspection : options.introspection === false) {
    plugins.push(noIntrospection);
  }

  const yoga = createYoga<{ request: Request }, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // The gateway adds CORS headers to every answer itself (withCors), cached and refused ones too.
    cors: false,
    landingPage: false,
    logging: false,
    graphiql: production ? options.graphiql === true : options.graphiql !== false,
    plugins,
    context: ({ request }) => {
      const caller = callers.get(request);
      const principal = caller?.principal;
      const metadata = requestMetadata(request, caller);
      const key = request.headers.get("idempotency-key")?.slice(0, 200);
      const state: Context["state"] = { read: { metadata }, commandCount: 0 };
      states.set(request, state);
      const ctx = { clients, metadata, state, feed } as Context;
      if (principal) ctx.principal = principal;
      if (key) ctx.idempotencyKey = key;
      ctx.loaders = createLoaders(clients, () => state.read);
      return ctx;
    },
    maskedErrors: { maskError: (error) => toGraphQLError(error, logger) },
  });

  /**
   * 200 "ok" only when both services serve (each reports NOT_SERVING while
   * its database is unreachable) and both circuits are closed; otherwise 503
   * "degraded", since some calls are being refused. The statuses come from
   * the long-lived health Watch streams, never from a connection opened per
   * request: a probe every few seconds would otherwise open and close a
   * connection to each service every time (and each close sends the service
   * a GOAWAY, which Deno's HTTP/2 can crash on, see docs/operations.md).
   */
  async function health(): Promise<Response> {
    const [command, query] = await liveHealth();
    return healthResponse(command, query);
  }

  /**
   * The services' statuses as their Watch streams last reported them; a
   * stream that has reported nothing yet (just after start) is asked once.
   */
  function liveHealth(): Promise<[string, string]> {
    const statusOf = async (watch: HealthWatch, address: string) =>
      watch.status === "UNKNOWN"
        ? await checkHealth(address, 1000, "", options.grpcTls)
        : watch.status;
    return Promise.all([
      statusOf(raw.health.command, options.commandAddress),
      statusOf(raw.health.query, options.queryAddress),
    ]);
  }

  /** Every service as the console shows it: the gateway's own view, then each health URL. */
  async function serviceHealth(): Promise<ServiceHealth[]> {
    const [command, query] = await liveHealth();
    const others = await Promise.all(
      Object.entries(options.healthUrls ?? {}).map(async ([name, url]) => {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
          const text = await res.text();
          let status = res.ok ? "ok" : "degraded";
          try {
            const body = JSON.parse(text);
            if (typeof body?.status === "string") status = body.status;
          } catch { /* a plain-text health answer: its HTTP status says it all */ }
          return { name, status, detail: text.slice(0, 2000) };
        } catch {
          return { name, status: "unreachable" };
        }
      }),
    );
    return [
      { name: "gateway", status: "ok" },
      { name: "command", status: command, circuit: raw.policies.command.state },
      { name: "query", status: query, circuit: raw.policies.query.state },
      {
        name: "change feed",
        status: feed ? (feed.version() ? "in_sync" : "syncing") : "off",
      },
      ...others,
    ];
  }

  function healthResponse(command: string, query: string): Response {
    // Where the services live is for operators, not for whoever can reach a production gateway.
    const at = (address: string) => production ? {} : { address };
    const ok = command === "SERVING" && query === "SERVING" &&
      raw.policies.command.state === "closed" && raw.policies.query.state === "closed";
    return Response.json({
      status: ok ? "ok" : "degraded",
      dependencies: {
        command: {
          ...at(options.commandAddress),
          status: command,
          circuit: raw.policies.command.state,
        },
        query: {
          ...at(options.queryAddress),
          status: query,
          circuit: raw.policies.query.state,
        },
        changeFeed: { status: feed ? (feed.version() ? "in_sync" : "syncing") : "off" },
      },
      cache: cache ? { ...cache.stats, responses: responses?.stats ?? null } : null,
    }, { status: ok ? 200 : 503 });
  }

  const gateway: Gateway = {
    clients,
    cache,
    responses,
    feed,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      // A CORS preflight: its headers (withCors) say whether the origin may go on.
      if (request.method === "OPTIONS") return new Response(null, { status: 204 });
      // Production serves metrics on their own port only (startGateway's metricsPort).
      if (!production && request.method === "GET" && pathname === "/metrics") {
        return await metricsHandler();
      }
      if (request.method === "GET" && pathname === "/health") return await health();
      // For a liveness probe: the process answers, whatever its dependencies do.
      if (request.method === "GET" && pathname === "/livez") {
        return Response.json({ status: "alive" });
      }
      if (isConsolePath(pathname)) return await serveConsole(request);
      const badHeaders = pathname === "/graphql" ? checkMetadataHeaders(request) : null;
      if (badHeaders) return refused(request, badHeaders);
      if (pathname === "/graphql" && request.headers.get("upgrade") === "websocket") {
        let caller: Caller | undefined;
        try {
          caller = await callerOf(request);
        } catch (err) {
          return unauthenticated(request, err);
        }
        return upgradeToGraphQLWs(
          request,
          yoga,
          (handshake) => callers.set(handshake, caller),
          // A browser cannot set headers on a WebSocket: its token comes in connectionParams.
          async (handshake, authorization) => {
            callers.set(handshake, await callerOf(bearerRequest(handshake.url, authorization)));
          },
          limits.maxBodyBytes,
        );
      }
      return await observeHttpRequest(request, async () => {
        const form = pathname === "/graphql" ? refuseFormPost(request) : null;
        if (form) {
          await request.body?.cancel();
          return form;
        }
        const body = await readBody(request, limits.maxBodyBytes);
        if (body instanceof Response) return body;
        const malformed = checkEncoding(request, body);
        if (malformed) return refused(request, malformed);
        const cacheable = body && responses?.cacheable(request, body);
        if (cacheable) {
          const hit = responses!.lookup(cacheable);
          if (hit) return hit;
        }
        const buffered = body ? new Request(request, { body }) : request;
        try {
          callers.set(buffered, await callerOf(buffered));
        } catch (err) {
          return unauthenticated(buffered, err);
        }
        const response = await yoga.fetch(buffered);
        const state = states.get(buffered);
        if (cacheable && state?.operation === "query" && state.commandCount === 0) {
          return await responses!.store(cacheable, response);
        }
        return response;
      });
    },
    async close() {
      runtime.stop();
      unwatch.forEach((stop) => stop());
      raw.close();
      responses?.clear();
      await cache?.close();
      await feed?.stop();
      await operations?.close();
    },
  };
  const answer = gateway.fetch;
  gateway.fetch = async (request) => withCors(request, await answer(request), cors);
  return gateway;
}

/** A running gateway HTTP server. */
export interface GatewayServer {
  port: number;
  /** Port of the metrics listener, when one was asked for. */
  metricsPort: number | undefined;
  gateway: Gateway;
  stop(): Promise<void>;
}

/** Where and how the gateway listens. */
export interface GatewayListenOptions {
  /** 0 picks a free one. */
  port: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** HTTPS with this certificate (chain) and key, PEM text; default plain HTTP. */
  tls?: { cert: string; key: string };
  /** Serve `GET /metrics` on this port too (0 picks a free one); production serves it only here. */
  metricsPort?: number;
  /** Of the metrics listener; default `host`. */
  metricsHost?: string;
}

/** Serves /metrics alone, so scrapes can stay on an internal network. */
function serveMetrics(port: number, hostname: string, signal: AbortSignal): Deno.HttpServer {
  return listening(
    hostname,
    port,
    () =>
      Deno.serve({ port, hostname, signal, onListen: () => {} }, (request) => {
        const { pathname } = new URL(request.url);
        if (pathname !== "/metrics") return new Response("Not found", { status: 404 });
        if (request.method !== "GET") return new Response("Method not allowed", { status: 405 });
        return metricsHandler();
      }),
  );
}

/** The gateway's own listener: HTTP, or HTTPS with `options.tls`. */
function serveGateway(
  gateway: Gateway,
  options: GatewayListenOptions,
  hostname: string,
  signal: AbortSignal,
): Deno.HttpServer {
  return listening(hostname, options.port, () =>
    Deno.serve(
      {
        port: options.port,
        hostname,
        signal,
        onListen: () => {},
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      },
      async (request) => {
        try {
          return await gateway.fetch(request);
        } catch (err) {
          // The client went away mid-request: nobody reads the answer, and it is no server error.
          if (request.signal.aborted) return new Response(null, { status: 499 });
          throw err;
        }
      },
    ));
}

/** Serves the gateway on `port` (0 picks a free one). */
export async function startGateway(
  options: GatewayOptions & GatewayListenOptions,
): Promise<GatewayServer> {
  const gateway = await createGateway(options);
  const abort = new AbortController();
  const hostname = options.host ?? "0.0.0.0";
  let metrics: Deno.HttpServer | undefined;
  let server: Deno.HttpServer;
  try {
    if (options.metricsPort !== undefined) {
      metrics = serveMetrics(options.metricsPort, options.metricsHost ?? hostname, abort.signal);
    }
    server = serveGateway(gateway, options, hostname, abort.signal);
  } catch (err) {
    abort.abort();
    await gateway.close();
    throw err;
  }
  return {
    port: (server.addr as Deno.NetAddr).port,
    metricsPort: metrics ? (metrics.addr as Deno.NetAddr).port : undefined,
    gateway,
    async stop() {
      // Subscriptions end first, so their streams let the listener drain; requests in
      // flight then get a few seconds to finish, with their gRPC clients still open (a
      // closed client would fail them), before the listener and the clients close.
      gateway.feed?.endSubscriptions();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        server.shutdown().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
      ]);
      clearTimeout(timer);
      if (!drained) abort.abort();
      await metrics?.shutdown();
      await server.finished;
      await gateway.close();
    },
  };
}
