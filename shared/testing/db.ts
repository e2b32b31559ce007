import {
  connect,
  dropDatabase,
  ensureDatabase,
  openPostgres,
  type Sql,
  withDatabase,
} from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";

/** The PostgreSQL server tests run against (`deno task test` starts one and sets it). */
export function testServerUrl(): string {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "TEST_DATABASE_URL is not set: run the tests with `deno task test`, which starts an embedded PostgreSQL, or point TEST_DATABASE_URL at a server",
    );
  }
  return url;
}

/** A statement as the client sent it (trimmed), with its parameters. */
export interface SentStatement {
  query: string;
  params: unknown[];
}

/**
 * A pool of one connection that records each statement it sends, in order:
 * for tests of what goes out and how many statements, and to run them again
 * (see assertReadsLittle).
 */
export function watchedPool(url: string): { sql: Sql; sent: SentStatement[] } {
  const sent: SentStatement[] = [];
  const sql = openPostgres(url, {
    max: 1,
    debug: (_connection: number, query: string, params: unknown[]) =>
      void sent.push({ query: query.trim(), params }),
  });
  return { sql, sent };
}

/** The text of each statement. */
export function queries(sent: readonly SentStatement[]): string[] {
  return sent.map((s) => s.query);
}

/** A fresh, migrated pair of databases for one test. */
export interface TestDatabases {
  eventStoreUrl: string;
  readModelUrl: string;
  /** Pools on both; closed by `drop()`. */
  eventStore: Sql;
  readModel: Sql;
  /** Closes the pools and drops both databases. */
  drop(): Promise<void>;
}

/** Creates and migrates a fresh event store and read model database for one test. */
export async function createTestDatabases(): Promise<TestDatabases> {
  const base = testServerUrl();
  const tag = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const eventStoreUrl = withDatabase(base, `${tag}_es`);
  const readModelUrl = withDatabase(base, `${tag}_rm`);
  await Promise.all([ensureDatabase(eventStoreUrl), ensureDatabase(readModelUrl)]);
  const eventStore = connect(eventStoreUrl, { max: 20 });
  const readModel = connect(readModelUrl, { max: 10 });
  await migrate(eventStore, "event_store");
  await migrate(readModel, "read_model");
  return {
    eventStoreUrl,
    readModelUrl,
    eventStore,
    readModel,
    drop: async () => {
      await Promise.all([eventStore.end(), readModel.end()]);
      await Promise.all([dropDatabase(eventStoreUrl), dropDatabase(readModelUrl)]);
    },
  };
}

/** An event as a test reads it back. */
export interface StoredEvent {
  aggregateId: string;
  aggregateType: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  version: number;
  transactionId: string;
}

/** Every stored event in global order, or those of one stream. */
export async function storedEvents(eventStore: Sql, streamId?: string): Promise<StoredEvent[]> {
  return await eventStore<StoredEvent[]>`
    SELECT aggregate_id::text AS "aggregateId", aggregate_type AS "aggregateType",
      event_type AS type, event_data AS data, event_metadata AS metadata,
      event_version AS version, transaction_id::text AS "transactionId"
    FROM events WHERE ${streamId ?? null}::uuid IS NULL OR aggregate_id = ${streamId ?? null}
    ORDER BY transaction_id, id`;
}

/**
 * Resolves once every projection's checkpoint has reached the newest event
 * committed when it was called: a sync point for a test that saw one
 * projection change (an order's saga completed) and then asserts on another
 * (the product's stock), which follows the store on its own checkpoint.
 */
export async function readModelCaughtUp(db: TestDatabases, timeoutMs = 15_000): Promise<void> {
  const [head] = await db.eventStore<{ transactionId: string; id: string }[]>`
    SELECT transaction_id::text AS "transactionId", id::text AS id FROM events
    ORDER BY transaction_id DESC, id DESC LIMIT 1`;
  if (!head) return;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const behind = await db.readModel<{ projection: string }[]>`
      SELECT projection FROM projection_checkpoints
      WHERE (transaction_id, position) < (${head.transactionId}::xid8, ${head.id}::bigint)`;
    if (behind.length === 0) return;
    if (Date.now() > until) {
      throw new Error(
        `the read model did not reach ${head.transactionId}:${head.id} within ${timeoutMs} ms: ${
          behind.map((b) => b.projection).join(", ")
        } behind`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until some session of the database `sql` is on waits for an advisory lock. */
export async function waitForAdvisoryWait(sql: Sql, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs;;) {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`;
    if (row!.n > 0) return;
    if (Date.now() > deadline) {
      throw new Error(`No session waited for an advisory lock within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
