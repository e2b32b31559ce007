import { z } from "zod";
import { addressVar, loadConfig, portVar } from "@shared/config/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { runUntilSignal } from "@shared/runtime/serve.ts";
import { startGateway } from "./app.ts";

const config = loadConfig(z.object({
  GATEWAY_PORT: portVar.default(4000),
  GATEWAY_HOST: z.string().default("0.0.0.0"),
  COMMAND_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50051"),
  QUERY_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50052"),
}));
const logger = createLogger("gateway");
const server = startGateway({
  port: config.GATEWAY_PORT,
  host: config.GATEWAY_HOST,
  commandAddress: config.COMMAND_SERVICE_ADDRESS,
  queryAddress: config.QUERY_SERVICE_ADDRESS,
  logger,
});
logger.info("listening", { port: server.port, graphql: `http://localhost:${server.port}/graphql` });
runUntilSignal(logger, () => server.stop());
