import { startCommandService } from "../../../services/command/app.ts";
import {
  type GatewayOptions,
  type GatewayServer,
  startGateway,
} from "../../../services/gateway/app.ts";
import { startProjector } from "../../../services/projector/app.ts";
import { startQueryService } from "../../../services/query/app.ts";
import { freePort } from "@shared/db/embedded.ts";
import { createLogger } from "@shared/log/mod.ts";
import { createTestDatabases, type TestDatabases } from "@shared/testing/db.ts";

/** Every service started in this process, on fresh databases and free ports. */
export interface Stack {
  db: TestDatabases;
  commandAddress: string;
  queryAddress: string;
  /** Starts one more gateway replica; stopped with the stack. */
  gateway(options?: Partial<GatewayOptions>): Promise<GatewayServer>;
  stop(): Promise<void>;
}

/** Starts command, query and projector in-process; gateways on demand. */
export async function startStack(): Promise<Stack> {
  const logger = createLogger("test", {});
  const db = await createTestDatabases();
  const command = await startCommandService({ eventStoreUrl: db.eventStoreUrl, port: 0, logger });
  const queryPort = freePort();
  const query = await startQueryService({ readModelUrl: db.readModelUrl, port: queryPort, logger });
  const projector = await startProjector({
    eventStoreUrl: db.eventStoreUrl,
    readModelUrl: db.readModelUrl,
    logger,
    pollMs: 100,
  });
  const gateways: GatewayServer[] = [];
  const commandAddress = `127.0.0.1:${command.port}`;
  const queryAddress = `127.0.0.1:${queryPort}`;
  return {
    db,
    commandAddress,
    queryAddress,
    async gateway(options = {}) {
      const server = await startGateway({
        port: 0,
        host: "127.0.0.1",
        commandAddress,
        queryAddress,
        readModelUrl: db.readModelUrl,
        logger,
        ...options,
      });
      gateways.push(server);
      return server;
    },
    async stop() {
      for (const g of gateways) await g.stop();
      await projector.stop();
      await query.stop();
      await command.stop();
      await db.drop();
    },
  };
}
