/**
 * What the projection tasks (`deno task projections:*`) share: which
 * databases they work on, and which projections an operator named.
 */
import { join } from "node:path";
import { z } from "zod";
import { ConfigError, loadConfig, postgresUrlVar } from "@shared/config/mod.ts";
import { withDatabase } from "@shared/db/connect.ts";
import type { Projection } from "./types.ts";

/** The databases of a task, and where they were found. */
export interface OperationsTarget {
  eventStoreUrl: string;
  readModelUrl: string;
  /** `environment`, or the data folder of the running `deno task dev`. */
  source: string;
}

/**
 * EVENT_STORE_URL and READ_MODEL_URL (or one DATABASE_URL), as the services
 * take them; when none is set, the embedded PostgreSQL of a running `deno
 * task dev` (its port is in DEV_DATA_DIR/postmaster.pid, default
 * `.data/postgres`).
 */
export function operationsTarget(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): OperationsTarget {
  const config = loadConfig(
    z.object({
      EVENT_STORE_URL: postgresUrlVar.optional(),
      READ_MODEL_URL: postgresUrlVar.optional(),
      DATABASE_URL: postgresUrlVar.optional(),
      DEV_DATA_DIR: z.string().default(".data/postgres"),
    }),
    env,
  );
  const eventStoreUrl = config.EVENT_STORE_URL ?? config.DATABASE_URL;
  const readModelUrl = config.READ_MODEL_URL ?? config.DATABASE_URL;
  if (eventStoreUrl && readModelUrl) return { eventStoreUrl, readModelUrl, source: "environment" };
  let port: string | undefined;
  try {
    port = Deno.readTextFileSync(join(config.DEV_DATA_DIR, "postmaster.pid")).split("\n")[3];
  } catch {
    port = undefined;
  }
  if (!port || !/^\d+$/.test(port.trim())) {
    throw new ConfigError(
      `Cannot find the databases: set EVENT_STORE_URL and READ_MODEL_URL (or DATABASE_URL), or start \`deno task dev\` (no PostgreSQL is running from "${config.DEV_DATA_DIR}")`,
    );
  }
  const server = `postgres://postgres:postgres@127.0.0.1:${port.trim()}/postgres`;
  return {
    eventStoreUrl: withDatabase(server, "event_store"),
    readModelUrl: withDatabase(server, "read_model"),
    source: `deno task dev (${config.DEV_DATA_DIR}, port ${port.trim()})`,
  };
}

/** The projections an operator named (all of them when none is named); unknown names throw. */
export function selectProjections(
  all: readonly Projection[],
  names: readonly string[],
): Projection[] {
  if (names.length === 0) return [...all];
  return names.map((name) => {
    const found = all.find((p) => p.name === name);
    if (!found) {
      throw new ConfigError(
        `Unknown projection "${name}": expected one of ${all.map((p) => p.name).join(", ")}`,
      );
    }
    return found;
  });
}
