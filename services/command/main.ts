import { z } from "zod";
import { authVars, verifierOptionsOf } from "@shared/auth/config.ts";
import { loadConfigOrExit, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { checkServerTls, grpcTlsVars, serverTlsOf } from "@shared/grpc/tls.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startMetricsServer } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startCommandService } from "./app.ts";

const ms = z.coerce.number().int().min(1).max(86_400_000);
const config = loadConfigOrExit(
  z.object({
    // The same token settings as the gateway: this service verifies its callers' tokens itself.
    ...authVars,
    EVENT_STORE_URL: postgresUrlVar,
    COMMAND_PORT: portVar.default(50051),
    COMMAND_HOST: z.string().default("127.0.0.1"),
    COMMAND_METRICS_PORT: portVar.default(9464),
    EVENT_STORE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    SAGA_STEP_TIMEOUT_MS: ms.default(30_000),
    SAGA_TIMEOUT_MS: ms.default(300_000),
    ...grpcTlsVars,
  }).superRefine((c, ctx) =>
    checkServerTls(c, (path, message) => ctx.addIssue({ code: "custom", path: [path], message }))
  ),
);
const tls = serverTlsOf(config);
await initTracing("command");
const logger = createLogger("command");
const service = await startCommandService({
  eventStoreUrl: config.EVENT_STORE_URL,
  port: config.COMMAND_PORT,
  host: config.COMMAND_HOST,
  ...(tls ? { tls } : {}),
  poolSize: config.EVENT_STORE_POOL_SIZE,
  // Recorded by sagas started through the startOrderSaga mutation.
  sagaOptions: {
    stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
    sagaTimeoutMs: config.SAGA_TIMEOUT_MS,
  },
  auth: verifierOptionsOf(config),
  logger,
});
const metrics = startMetricsServer(config.COMMAND_METRICS_PORT);
logger.info("listening", {
  port: service.port,
  metricsPort: metrics.port,
  tls: tls ? (tls.requireClientCert ? "mutual" : "on") : "off",
});
runUntilSignal(logger, async () => {
  await service.stop();
  await metrics.stop();
  await shutdownTracing();
});
