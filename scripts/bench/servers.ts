import { connect, ensureDatabase } from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";
import { describeMachine } from "./report.ts";
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";

/** The PostgreSQL servers a benchmark measures on. */
export interface BenchServers {
  eventStoreServer: string;
  readModelServer: string;
  /** How they were found, for the report. */
  description: string;
  /** Data directories of the embedded servers (none for BENCH_DATABASE_URL), to find their processes. */
  dataDirs: string[];
  /** Stops the embedded servers and removes their data (nothing for BENCH_DATABASE_URL). */
  stop(): Promise<void>;
}

/**
 * BENCH_DATABASE_URL when set (event store and read model on that one
 * server); otherwise two embedded servers, as compose runs them: one for the
 * event store, one for the read model. On one server, every transaction of
 * the other database holds back the horizon of gap-safe reads, which is
 * server-wide.
 */
export async function benchServers(): Promise<BenchServers> {
  const given = Deno.env.get("BENCH_DATABASE_URL");
  if (given) {
    return {
      eventStoreServer: given,
      readModelServer: given,
      description: "BENCH_DATABASE_URL: event store and read model on one server",
      dataDirs: [],
      stop: async () => {},
    };
  }
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops) await s();
  };
  try {
    const started: string[] = [];
    const dataDirs: string[] = [];
    for (const name of ["es", "rm"]) {
      const dataDir = await Deno.makeTempDir({ prefix: `cqrs-bench-pg-${name}-` });
      const embedded = await startEmbeddedPostgres({ dataDir });
      dataDirs.push(dataDir);
      stops.push(async () => {
        await embedded.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      });
      started.push(embedded.url);
    }
    return {
      eventStoreServer: started[0]!,
      readModelServer: started[1]!,
      description: "embedded: event store and read model on two servers, as in compose",
      dataDirs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Creates and migrates a system's two databases for a benchmark, and
 * returns the machine's description for its report (read off the event
 * store's server).
 */
export async function prepareSystemDatabases(
  eventStoreUrl: string,
  readModelUrl: string,
  description: string,
): Promise<string[]> {
  await ensureDatabase(eventStoreUrl);
  await ensureDatabase(readModelUrl);
  const es = connect(eventStoreUrl, { max: 1 });
  const rm = connect(readModelUrl, { max: 1 });
  try {
    await migrate(es, "event_store");
    await migrate(rm, "read_model");
    return await describeMachine(es, description);
  } finally {
    await Promise.all([es.end(), rm.end()]);
  }
}
