import { verifierOptionsOf } from "@shared/auth/config.ts";
import { loadConfigOrExit } from "@shared/config/mod.ts";
import { serverTlsOf } from "@shared/grpc/tls.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startMetricsServer } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startCommandService } from "./app.ts";
import { adaptersOf, commandConfigSchema } from "./config.ts";

const config = loadConfigOrExit(commandConfigSchema);
const tls = serverTlsOf(config);
await initTracing("command");
const logger = createLogger("command");
const service = await startOrExit("command", config, () =>
  startCommandService({
    eventStoreUrl: config.EVENT_STORE_URL,
    port: config.COMMAND_PORT,
    host: config.COMMAND_HOST,
    ...(tls ? { tls } : {}),
    poolSize: config.EVENT_STORE_POOL_SIZE,
    stateCacheEvents: config.STATE_CACHE_EVENTS,
    // Charged and booked by the saga's step RPCs.
    ...adaptersOf(config),
    // Recorded by sagas started through the startOrderSaga mutation.
    sagaOptions: {
      stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
      sagaTimeoutMs: config.SAGA_TIMEOUT_MS,
    },
    auth: verifierOptionsOf(config),
    logger,
  }));
const metrics = await startOrExit(
  "command",
  config,
  () => startMetricsServer(config.COMMAND_METRICS_PORT),
);
logger.info("listening", {
  port: service.port,
  metricsPort: metrics.port,
  tls: tls ? (tls.requireClientCert ? "mutual" : "on") : "off",
  payment: config.PAYMENT_URL ? "http" : config.PAYMENT_MODE,
  carrier: config.CARRIER_URL ? "http" : config.CARRIER_MODE,
});
runUntilSignal(logger, async () => {
  await service.stop({ exiting: true });
  await metrics.stop();
  await shutdownTracing();
});
