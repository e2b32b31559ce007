import { pipelinedTransaction } from "./transaction.ts";
import { connect, ensureDatabase, type Sql } from "./connect.ts";

/** Which migration folder a database takes. */
export type MigrationSet = "event_store" | "read_model";

const root = new URL("../../migrations/", import.meta.url);

/** The `.sql` files of a migration set, in the order they apply. */
export async function migrationFiles(set: MigrationSet): Promise<{ name: string; sql: string }[]> {
  const dir = new URL(`${set}/`, root);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^\d+_.+\.sql$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(
    names.map(async (name) => ({ name, sql: await Deno.readTextFile(new URL(name, dir)) })),
  );
}

/**
 * Applies the migrations of a set that have not run yet, each in its own
 * transaction, and records them in `schema_migrations`. An advisory lock keeps
 * two starters from migrating at once. Returns the names it applied.
 */
export async function migrate(sql: Sql, set: MigrationSet): Promise<string[]> {
  const files = await migrationFiles(set);
  const applied: string[] = [];
  await pipelinedTransaction(sql, async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${"migrate:" + set}))`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      migration_set text NOT NULL,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (migration_set, name)
    )`;
    const done = new Set(
      (await tx`SELECT name FROM schema_migrations WHERE migration_set = ${set}`).map((r) =>
        r.name as string
      ),
    );
    for (const file of files) {
      if (done.has(file.name)) continue;
      await tx.unsafe(file.sql);
      await tx`INSERT INTO schema_migrations (migration_set, name) VALUES (${set}, ${file.name})`;
      applied.push(file.name);
    }
  });
  return applied;
}

/** Creates the database at `url` when missing and applies its migrations; returns what it applied. */
export async function migrateDatabase(url: string, set: MigrationSet): Promise<string[]> {
  await ensureDatabase(url);
  const sql = connect(url, { max: 1 });
  try {
    return await migrate(sql, set);
  } finally {
    await sql.end();
  }
}
