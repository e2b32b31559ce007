/**
 * `deno task migrate`: creates (when missing) and migrates the event store and
 * read model databases named by EVENT_STORE_URL and READ_MODEL_URL (or DATABASE_URL).
 */
import { z } from "zod";
import { loadConfig, postgresUrlVar } from "@shared/config/mod.ts";
import { migrateDatabase, type MigrationSet } from "@shared/db/migrate.ts";

const config = loadConfig(
  z.object({
    EVENT_STORE_URL: postgresUrlVar.optional(),
    READ_MODEL_URL: postgresUrlVar.optional(),
    DATABASE_URL: postgresUrlVar.optional(),
  }).refine((c) => (c.EVENT_STORE_URL && c.READ_MODEL_URL) || c.DATABASE_URL, {
    message: "set EVENT_STORE_URL and READ_MODEL_URL, or DATABASE_URL",
    path: ["EVENT_STORE_URL"],
  }),
);

const targets: [string, MigrationSet][] = [
  [config.EVENT_STORE_URL ?? config.DATABASE_URL!, "event_store"],
  [config.READ_MODEL_URL ?? config.DATABASE_URL!, "read_model"],
];
for (const [url, set] of targets) {
  const applied = await migrateDatabase(url, set);
  console.log(`${set}: ${applied.length ? `applied ${applied.join(", ")}` : "up to date"}`);
}
