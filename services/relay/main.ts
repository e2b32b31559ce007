import { z } from "zod";
import { loadConfigOrExit, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { initTracing, shutdownTracing, startRuntimeMetrics } from "@shared/observability/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startOrExit } from "@shared/runtime/startup.ts";
import { startRelay } from "./app.ts";

const config = loadConfigOrExit(z.object({
  EVENT_STORE_URL: postgresUrlVar,
  NATS_URL: z.string().regex(
    /^(nats|tls):\/\/[^\s,]+(,\s*(nats|tls):\/\/[^\s,]+)*$/,
    "must be nats://host:port (several separated by commas)",
  ),
  RELAY_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be letters, digits, _ or -")
    .default("INTEGRATION_EVENTS"),
  RELAY_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be one subject token")
    .default("cqrs"),
  RELAY_HTTP_PORT: portVar.default(4102),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  RELAY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  RELAY_LEASE_CHECK_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  RELAY_DUPLICATE_WINDOW_MS: z.coerce.number().int().min(1000).max(86_400_000).default(120_000),
}));
await initTracing("relay");
const runtime = startRuntimeMetrics();
const logger = createLogger("relay");
const relay = await startOrExit("relay", config, () =>
  startRelay({
    eventStoreUrl: config.EVENT_STORE_URL,
    natsUrl: config.NATS_URL,
    stream: config.RELAY_STREAM,
    prefix: config.RELAY_SUBJECT_PREFIX,
    batchSize: config.RELAY_BATCH_SIZE,
    pollMs: config.RELAY_POLL_MS,
    leaseCheckMs: config.RELAY_LEASE_CHECK_MS,
    duplicateWindowMs: config.RELAY_DUPLICATE_WINDOW_MS,
    httpPort: config.RELAY_HTTP_PORT,
    logger,
  }));
logger.info("listening", { port: relay.httpPort, stream: config.RELAY_STREAM });
runUntilSignal(logger, async () => {
  await relay.stop();
  runtime.stop();
  await shutdownTracing();
});
