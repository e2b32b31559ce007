import { z } from "zod";
import { authVars, verifierOptionsOf } from "@shared/auth/config.ts";
import { loadConfigOrExit, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { checkServerTls, grpcTlsVars, serverTlsOf } from "@shared/grpc/tls.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startMetricsServer } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startQueryService } from "./app.ts";

const config = loadConfigOrExit(
  z.object({
    // The same token settings as the gateway: this service verifies its callers' tokens itself.
    ...authVars,
    READ_MODEL_URL: postgresUrlVar,
    EVENT_STORE_URL: postgresUrlVar.optional(),
    QUERY_PORT: portVar.default(50052),
    QUERY_HOST: z.string().default("127.0.0.1"),
    QUERY_METRICS_PORT: portVar.default(9465),
    READ_MODEL_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    READ_CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
    ...grpcTlsVars,
  }).superRefine((c, ctx) =>
    checkServerTls(c, (path, message) => ctx.addIssue({ code: "custom", path: [path], message }))
  ),
);
const tls = serverTlsOf(config);
await initTracing("query");
const logger = createLogger("query");
const service = await startOrExit("query", config, () =>
  startQueryService({
    readModelUrl: config.READ_MODEL_URL,
    ...(config.EVENT_STORE_URL ? { eventStoreUrl: config.EVENT_STORE_URL } : {}),
    port: config.QUERY_PORT,
    host: config.QUERY_HOST,
    ...(tls ? { tls } : {}),
    poolSize: config.READ_MODEL_POOL_SIZE,
    consistencyTimeoutMs: config.READ_CONSISTENCY_TIMEOUT_MS,
    auth: verifierOptionsOf(config),
    logger,
  }));
const metrics = await startOrExit(
  "query",
  config,
  () => startMetricsServer(config.QUERY_METRICS_PORT),
);
logger.info("listening", {
  port: service.port,
  metricsPort: metrics.port,
  tls: tls ? (tls.requireClientCert ? "mutual" : "on") : "off",
});
runUntilSignal(logger, async () => {
  await service.stop({ exiting: true });
  await metrics.stop();
  await shutdownTracing();
});
