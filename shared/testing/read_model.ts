/**
 * Test helpers of the read models: an event log (positions in global order,
 * versions per stream), a function that applies a batch the way the
 * projector does, and ways to reset and compare the read model.
 */
import type { Sql } from "@shared/db/connect.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import { writeCheckpoint } from "@shared/projection/checkpoint.ts";
import type { Projection } from "@shared/projection/types.ts";

/** Applies events in one transaction and advances the checkpoint, as the projector does. */
export async function project(
  sql: Sql,
  projection: Projection,
  events: readonly RecordedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await sql.begin(async (tx) => {
    await projection.apply(tx, [...events]);
    await writeCheckpoint(tx, projection.name, events.at(-1)!.position);
  });
}

/** Empties every read-model table (between the steps of a test that share a database). */
export async function resetReadModel(sql: Sql): Promise<void> {
  const tables = await sql<{ name: string }[]>`
    SELECT quote_ident(tablename) AS name FROM pg_tables
    WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`;
  await sql.unsafe(`TRUNCATE ${tables.map((t) => t.name).join(", ")}`);
}

/** The rows of some tables, in a stable order: to compare a read model before and after. */
export async function snapshot(sql: Sql, tables: readonly string[]): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    out[table] = await sql.unsafe(
      `SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY to_jsonb(t)::text`,
    ).then((rows) => rows.map((r) => r.row));
  }
  return JSON.stringify(out);
}

export { EventLog } from "./event_log.ts";
export { Scenario } from "./scenario.ts";
