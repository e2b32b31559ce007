import { observeDbPool } from "@shared/observability/mod.ts";
import type { Sql } from "./connect.ts";

/**
 * Reports a pool's connections in `db_pool_connections{pool,state}` at each
 * scrape: its size, and its server connections by state (active, idle, …)
 * as pg_stat_activity shows them for this process's application name.
 * Returns a function that stops reporting.
 */
export function observePool(
  name: string,
  sql: Sql,
  options: { max: number; applicationName: string },
): () => void {
  return observeDbPool(name, async () => {
    const rows = await sql<{ state: string | null; n: number }[]>`
      SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
      WHERE application_name = ${options.applicationName} AND datname = current_database()
        AND pid <> pg_backend_pid()
      GROUP BY 1`;
    const usage: Record<string, number> = { max: options.max };
    for (const row of rows) usage[row.state!.replaceAll(" ", "_")] = row.n;
    return usage;
  });
}

/** An application name unique to this process, so its connections can be told apart. */
export function processApplicationName(service: string): string {
  return `${service}/${Deno.pid}`;
}
