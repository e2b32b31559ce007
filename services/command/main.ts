import { z } from "zod";
import { loadConfig, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startCommandService } from "./app.ts";

const config = loadConfig(z.object({
  EVENT_STORE_URL: postgresUrlVar,
  COMMAND_PORT: portVar.default(50051),
  COMMAND_HOST: z.string().default("0.0.0.0"),
  EVENT_STORE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
}));
const logger = createLogger("command");
const service = await startCommandService({
  eventStoreUrl: config.EVENT_STORE_URL,
  port: config.COMMAND_PORT,
  host: config.COMMAND_HOST,
  poolSize: config.EVENT_STORE_POOL_SIZE,
  logger,
});
logger.info("listening", { port: service.port });
runUntilSignal(logger, () => service.stop());
