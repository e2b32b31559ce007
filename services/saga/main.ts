import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startRuntimeMetrics } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startSagaWorker } from "./app.ts";
import { adaptersOf, loadSagaConfig } from "./config.ts";

const config = loadSagaConfig();
await initTracing("saga");
const runtime = startRuntimeMetrics();
const logger = createLogger("saga");
const ports = adaptersOf(config);
const worker = await startSagaWorker({
  eventStoreUrl: config.EVENT_STORE_URL,
  logger,
  ports,
  sagaOptions: {
    stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
    sagaTimeoutMs: config.SAGA_TIMEOUT_MS,
  },
  pollMs: config.SAGA_POLL_MS,
  batchSize: config.SAGA_BATCH_SIZE,
  timerMs: config.SAGA_TIMER_MS,
  retryMaxMs: config.SAGA_RETRY_MAX_MS,
  poolSize: config.SAGA_POOL_SIZE,
  httpPort: config.SAGA_HTTP_PORT,
});
logger.info("listening", {
  port: worker.httpPort,
  payment: config.PAYMENT_URL ? "http" : config.PAYMENT_MODE,
  carrier: config.CARRIER_URL ? "http" : config.CARRIER_MODE,
});
runUntilSignal(logger, async () => {
  await worker.stop();
  runtime.stop();
  await shutdownTracing();
});
