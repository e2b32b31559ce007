import { freePort } from "@shared/db/embedded.ts";
import type { SystemPorts } from "@shared/runtime/system.ts";

/** Distinct free ports for every listener of a system under test. */
export function freeSystemPorts(): SystemPorts {
  const ports = new Set<number>();
  while (ports.size < 7) ports.add(freePort());
  const [gateway, command, query, projector, saga, commandMetrics, queryMetrics] = [...ports] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { gateway, command, query, projector, saga, commandMetrics, queryMetrics };
}

/**
 * The environment of a `deno task dev` under test: its own data folder and
 * ports, and no database URLs, so it starts its embedded PostgreSQL.
 */
export function devEnv(ports: SystemPorts, dataDir: string): Record<string, string> {
  return {
    DEV_DATA_DIR: dataDir,
    GATEWAY_PORT: String(ports.gateway),
    COMMAND_PORT: String(ports.command),
    QUERY_PORT: String(ports.query),
    PROJECTOR_HTTP_PORT: String(ports.projector),
    SAGA_HTTP_PORT: String(ports.saga),
    COMMAND_METRICS_PORT: String(ports.commandMetrics),
    QUERY_METRICS_PORT: String(ports.queryMetrics),
    EVENT_STORE_URL: "",
    READ_MODEL_URL: "",
    DATABASE_URL: "",
  };
}
