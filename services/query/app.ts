import { categoryQueries } from "@proto/query/v1/contract.ts";
import { connect, type Sql } from "@shared/db/connect.ts";
import { bind, type ServiceBinding, startGrpcServer } from "@shared/grpc/server.ts";
import type { Logger } from "@shared/log/mod.ts";
import { getCategory, listCategories } from "@shared/read_models/categories/queries.ts";

/** Options of the query service. */
export interface QueryServiceOptions {
  readModelUrl: string;
  port: number;
  host?: string;
  logger: Logger;
  poolSize?: number;
}

/** A running query service. */
export interface QueryService {
  port: number;
  stop(): Promise<void>;
}

function categoryHandlers(sql: Sql): ServiceBinding {
  return bind(categoryQueries, {
    async getCategory({ id }) {
      return { category: await getCategory(sql, id) };
    },
    async listCategories({ parentId }) {
      return { categories: await listCategories(sql, parentId) };
    },
  }) as ServiceBinding;
}

/** Starts the query service: gRPC handlers over the read model database. */
export async function startQueryService(options: QueryServiceOptions): Promise<QueryService> {
  const sql = connect(options.readModelUrl, {
    max: options.poolSize ?? 10,
    applicationName: "query-service",
  });
  const server = await startGrpcServer([categoryHandlers(sql)], {
    port: options.port,
    logger: options.logger,
    ...(options.host ? { host: options.host } : {}),
  });
  return {
    port: server.port,
    async stop() {
      await server.shutdown();
      await sql.end({ timeout: 5 });
    },
  };
}
