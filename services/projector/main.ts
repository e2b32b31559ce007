import { z } from "zod";
import { loadConfigOrExit, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startRuntimeMetrics } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startProjector } from "./app.ts";

const config = loadConfigOrExit(z.object({
  EVENT_STORE_URL: postgresUrlVar,
  READ_MODEL_URL: postgresUrlVar,
  PROJECTOR_HTTP_PORT: portVar.default(4100),
  PROJECTOR_POLL_MS: z.coerce.number().int().min(10).max(60000).default(500),
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(500),
  PROJECTOR_LEASE_CHECK_MS: z.coerce.number().int().min(10).max(60000).default(1000),
}));
await initTracing("projector");
const runtime = startRuntimeMetrics();
const logger = createLogger("projector");
const projector = await startOrExit("projector", config, () =>
  startProjector({
    eventStoreUrl: config.EVENT_STORE_URL,
    readModelUrl: config.READ_MODEL_URL,
    pollMs: config.PROJECTOR_POLL_MS,
    batchSize: config.PROJECTOR_BATCH_SIZE,
    leaseCheckMs: config.PROJECTOR_LEASE_CHECK_MS,
    httpPort: config.PROJECTOR_HTTP_PORT,
    logger,
  }));
logger.info("listening", { port: projector.httpPort });
runUntilSignal(logger, async () => {
  await projector.stop();
  runtime.stop();
  await shutdownTracing();
});
