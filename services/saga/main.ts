import { loadConfigOrExit } from "@shared/config/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { clientTlsOf } from "@shared/grpc/tls.ts";
import { initTracing, shutdownTracing, startRuntimeMetrics } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startSagaWorker } from "./app.ts";
import { sagaConfigSchema } from "./config.ts";

const config = loadConfigOrExit(sagaConfigSchema);
await initTracing("saga");
const runtime = startRuntimeMetrics();
const logger = createLogger("saga");
const tls = clientTlsOf(config);
const worker = await startOrExit("saga", config, () =>
  startSagaWorker({
    eventStoreUrl: config.EVENT_STORE_URL,
    logger,
    commandAddress: config.COMMAND_SERVICE_ADDRESS,
    ...(tls ? { commandTls: tls } : {}),
    commandDeadlineMs: config.GRPC_COMMAND_DEADLINE_MS,
    signing: {
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      // Short-lived, and within what the command service accepts.
      ttlSeconds: Math.min(300, config.JWT_MAX_LIFETIME_S),
    },
    sagaOptions: {
      stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
      sagaTimeoutMs: config.SAGA_TIMEOUT_MS,
    },
    pollMs: config.SAGA_POLL_MS,
    batchSize: config.SAGA_BATCH_SIZE,
    timerMs: config.SAGA_TIMER_MS,
    retryMaxMs: config.SAGA_RETRY_MAX_MS,
    poolSize: config.SAGA_POOL_SIZE,
    commandsAtOnce: config.SAGA_COMMANDS_AT_ONCE,
    httpPort: config.SAGA_HTTP_PORT,
  }));
logger.info("listening", {
  port: worker.httpPort,
  commandService: config.COMMAND_SERVICE_ADDRESS,
  tls: tls ? "on" : "off",
});
runUntilSignal(logger, async () => {
  await worker.stop();
  runtime.stop();
  await shutdownTracing();
});
