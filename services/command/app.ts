import { connect } from "@shared/db/connect.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { startGrpcServer } from "@shared/grpc/server.ts";
import type { Logger } from "@shared/log/mod.ts";
import { categoryHandlers } from "./handlers/category.ts";

/** Options of the command service. */
export interface CommandServiceOptions {
  eventStoreUrl: string;
  port: number;
  host?: string;
  logger: Logger;
  poolSize?: number;
}

/** A running command service. */
export interface CommandService {
  port: number;
  stop(): Promise<void>;
}

/** Starts the command service: gRPC handlers over the event store. */
export async function startCommandService(options: CommandServiceOptions): Promise<CommandService> {
  const sql = connect(options.eventStoreUrl, {
    max: options.poolSize ?? 10,
    applicationName: "command-service",
  });
  const store = new EventStore(sql);
  const server = await startGrpcServer([categoryHandlers(store)], {
    port: options.port,
    logger: options.logger,
    ...(options.host ? { host: options.host } : {}),
  });
  return {
    port: server.port,
    async stop() {
      await server.shutdown();
      store.close();
      await sql.end({ timeout: 5 });
    },
  };
}
