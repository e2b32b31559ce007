import type { HealthImplementation } from "grpc-health-check";
import type { Sql } from "@shared/db/connect.ts";
import type { Logger } from "@shared/log/mod.ts";

/** Options of {@link reportDatabaseHealth}. */
export interface DatabaseHealthOptions {
  /** Name of the database in log lines. */
  name: string;
  logger: Logger;
  /** How often to ping; default 1000 ms. */
  intervalMs?: number;
  /** A ping slower than this counts as unreachable (a frozen server answers nothing); default 1000 ms. */
  timeoutMs?: number;
}

/**
 * Pings the service's database and reports the result as the server's
 * overall health (`""`): NOT_SERVING while the database does not answer,
 * SERVING again once it does. Health watchers (the gateway) learn of both
 * at once. Returns a function that stops the pings.
 */
export function reportDatabaseHealth(
  health: HealthImplementation,
  sql: Sql,
  options: DatabaseHealthOptions,
): () => void {
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 1000;
  let serving = true;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ping = async (): Promise<boolean> => {
    let limit: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        sql`SELECT 1`.then(() => true, () => false),
        new Promise<boolean>((resolve) => (limit = setTimeout(() => resolve(false), timeoutMs))),
      ]);
    } finally {
      clearTimeout(limit);
    }
  };
  const tick = async () => {
    const ok = await ping();
    if (stopped) return;
    if (ok !== serving) {
      serving = ok;
      health.setStatus("", ok ? "SERVING" : "NOT_SERVING");
      if (ok) options.logger.info("database reachable again", { database: options.name });
      else options.logger.warn("database unreachable", { database: options.name });
    }
    timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
