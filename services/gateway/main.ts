import { z } from "zod";
import { secretWeakness } from "@shared/auth/mod.ts";
import { authVars, verifierOptionsOf } from "@shared/auth/config.ts";
import { addressVar, loadConfigOrExit, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { certificateFileVar, checkKeyPair, privateKeyFileVar } from "@shared/config/tls.ts";
import { checkClientTls, clientTlsOf, grpcTlsVars } from "@shared/grpc/tls.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startGateway } from "./app.ts";
import { corsPolicyOf } from "./cors.ts";
import { DEFAULT_MAX_SUBSCRIPTIONS } from "./feed.ts";
import { ValidationError } from "@shared/errors/mod.ts";

const ms = z.coerce.number().int().min(1).max(600_000);
const count = z.coerce.number().int().min(0).max(1_000_000);
const flag = z.enum(["true", "false"], { error: "must be true or false" }).transform((v) =>
  v === "true"
);

const config = loadConfigOrExit(
  z.object({
    GATEWAY_PORT: portVar.default(4000),
    GATEWAY_HOST: z.string().default("0.0.0.0"),
    GATEWAY_MODE: z.enum(["development", "production"]).default("development"),
    GATEWAY_TLS_CERT: certificateFileVar.optional(),
    GATEWAY_TLS_KEY: privateKeyFileVar.optional(),
    GATEWAY_METRICS_PORT: portVar.optional(),
    ...grpcTlsVars,
    GRAPHQL_INTROSPECTION: flag.optional(),
    GRAPHIQL: flag.optional(),
    // Comma-separated exact origins that may read answers with credentials; `*` in development only.
    CORS_ORIGINS: z.string().max(10_000).optional(),
    COMMAND_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50051"),
    QUERY_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50052"),
    READ_MODEL_URL: postgresUrlVar.optional(),
    // The console's projection operations need the event store as well.
    EVENT_STORE_URL: postgresUrlVar.optional(),
    PROJECTOR_HEALTH_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .optional(),
    SAGA_HEALTH_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    PROJECTOR_HTTP_PORT: portVar.default(4100),
    SAGA_HTTP_PORT: portVar.default(4101),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL").optional(),
    CACHE_TTL_MS: ms.default(30_000),
    CACHE_MAX_ENTRIES: count.default(10_000),
    CACHE_ENABLED: flag.default(true),
    CACHE_NAMESPACE: z.string().min(1).max(100).default("cqrs"),
    CACHE_RESPONSE_MAX_BYTES: z.coerce.number().int().min(0).max(2 ** 40).default(64 * 1024 * 1024),
    GRPC_READ_DEADLINE_MS: ms.default(3000),
    GRPC_LIST_DEADLINE_MS: ms.default(10_000),
    GRPC_COMMAND_DEADLINE_MS: ms.default(5000),
    GRPC_RETRIES: count.max(10).default(2),
    READ_CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
    CIRCUIT_FAILURE_THRESHOLD: count.min(1).default(5),
    CIRCUIT_HALF_OPEN_MS: ms.default(30_000),
    CIRCUIT_CLOSE_SUCCESSES: count.min(1).default(2),
    GRAPHQL_MAX_DEPTH: count.min(1).default(10),
    GRAPHQL_MAX_COST: count.min(1).default(20_000),
    GRAPHQL_MAX_ALIASES: count.default(15),
    GRAPHQL_MAX_TOKENS: count.min(1).default(2000),
    GRAPHQL_MAX_BODY_BYTES: count.min(1).default(100 * 1024),
    GRAPHQL_MAX_RESPONSE_BYTES: count.min(1).default(4 * 1024 * 1024),
    GRAPHQL_MAX_SUBSCRIPTIONS: count.min(1).default(DEFAULT_MAX_SUBSCRIPTIONS),
    ...authVars,
  }).superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    checkKeyPair(c, "GATEWAY_TLS_CERT", "GATEWAY_TLS_KEY", issue);
    checkClientTls(c, issue);
    try {
      corsPolicyOf(c.CORS_ORIGINS, c.GATEWAY_MODE);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const i of err.issues) issue(i.field, i.message);
    }
    if (c.GATEWAY_MODE !== "production") return;
    if (!c.JWT_SECRET && !c.JWT_JWKS_URL) {
      issue("JWT_SECRET", "is required in production (or set JWT_JWKS_URL)");
    }
    const weakness = c.JWT_SECRET ? secretWeakness(c.JWT_SECRET) : undefined;
    if (weakness) issue("JWT_SECRET", weakness);
    if (c.JWT_JWKS_URL && !c.JWT_JWKS_URL.startsWith("https://")) {
      issue("JWT_JWKS_URL", "must be an https:// URL in production");
    }
  }),
);
const production = config.GATEWAY_MODE === "production";
// Production keeps /metrics off the public port; development also serves it there.
const metricsPort = config.GATEWAY_METRICS_PORT ?? (production ? 9466 : undefined);
const grpcTls = clientTlsOf(config);
// In development the projector and the saga worker run beside the gateway (deno task dev).
const healthUrls: Record<string, string> = {};
const projectorHealth = config.PROJECTOR_HEALTH_URL ??
  (production ? undefined : `http://127.0.0.1:${config.PROJECTOR_HTTP_PORT}/health`);
const sagaHealth = config.SAGA_HEALTH_URL ??
  (production ? undefined : `http://127.0.0.1:${config.SAGA_HTTP_PORT}/health`);
if (projectorHealth) healthUrls.projector = projectorHealth;
if (sagaHealth) healthUrls.saga = sagaHealth;
await initTracing("gateway");
const logger = createLogger("gateway");
// The defaulted metrics port is named too when it is the one in use.
const settings = metricsPort === undefined
  ? config
  : { ...config, GATEWAY_METRICS_PORT: metricsPort };
const server = await startOrExit("gateway", settings, () =>
  startGateway({
    port: config.GATEWAY_PORT,
    host: config.GATEWAY_HOST,
    ...(config.GATEWAY_TLS_CERT && config.GATEWAY_TLS_KEY
      ? { tls: { cert: config.GATEWAY_TLS_CERT, key: config.GATEWAY_TLS_KEY } }
      : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    mode: config.GATEWAY_MODE,
    cors: corsPolicyOf(config.CORS_ORIGINS, config.GATEWAY_MODE),
    ...(config.GRAPHQL_INTROSPECTION !== undefined
      ? { introspection: config.GRAPHQL_INTROSPECTION }
      : {}),
    ...(config.GRAPHIQL !== undefined ? { graphiql: config.GRAPHIQL } : {}),
    commandAddress: config.COMMAND_SERVICE_ADDRESS,
    queryAddress: config.QUERY_SERVICE_ADDRESS,
    ...(grpcTls ? { grpcTls } : {}),
    ...(config.READ_MODEL_URL ? { readModelUrl: config.READ_MODEL_URL } : {}),
    maxSubscriptions: config.GRAPHQL_MAX_SUBSCRIPTIONS,
    ...(config.EVENT_STORE_URL ? { eventStoreUrl: config.EVENT_STORE_URL } : {}),
    healthUrls,
    cache: config.CACHE_ENABLED
      ? {
        ttlMs: config.CACHE_TTL_MS,
        maxEntries: config.CACHE_MAX_ENTRIES,
        namespace: config.CACHE_NAMESPACE,
        responseMaxBytes: config.CACHE_RESPONSE_MAX_BYTES,
        ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
      }
      : false,
    deadlines: {
      read: config.GRPC_READ_DEADLINE_MS,
      list: config.GRPC_LIST_DEADLINE_MS,
      command: config.GRPC_COMMAND_DEADLINE_MS,
    },
    consistencyTimeoutMs: config.READ_CONSISTENCY_TIMEOUT_MS,
    resilience: {
      retries: config.GRPC_RETRIES,
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      halfOpenAfterMs: config.CIRCUIT_HALF_OPEN_MS,
      closeAfterSuccesses: config.CIRCUIT_CLOSE_SUCCESSES,
    },
    limits: {
      maxDepth: config.GRAPHQL_MAX_DEPTH,
      maxCost: config.GRAPHQL_MAX_COST,
      maxAliases: config.GRAPHQL_MAX_ALIASES,
      maxTokens: config.GRAPHQL_MAX_TOKENS,
      maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES,
      maxResponseBytes: config.GRAPHQL_MAX_RESPONSE_BYTES,
    },
    // Without JWT_SECRET and JWT_JWKS_URL, development mode verifies with the development secret.
    auth: verifierOptionsOf(config),
    logger,
  }));
logger.info("listening", {
  port: server.port,
  mode: config.GATEWAY_MODE,
  graphql: `${config.GATEWAY_TLS_CERT ? "https" : "http"}://localhost:${server.port}/graphql`,
  ...(server.metricsPort !== undefined ? { metricsPort: server.metricsPort } : {}),
  grpcTls: grpcTls ? (grpcTls.cert ? "mutual" : "on") : "off",
});
runUntilSignal(logger, async () => {
  await server.stop();
  await shutdownTracing();
});
