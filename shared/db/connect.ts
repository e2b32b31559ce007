import postgres from "postgres";
import { parseJson } from "@shared/runtime/json.ts";

/** A postgres.js connection pool. */
export type Sql = postgres.Sql;

/** A connection inside a transaction (`sql.begin`). */
export type TxSql = postgres.TransactionSql;

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** Pool size; defaults to 10. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * Milliseconds a session may sit inside a transaction waiting for this
   * process's next statement before the server ends it, rolling the
   * transaction back and releasing its locks
   * (`idle_in_transaction_session_timeout`); default none. For a process
   * whose transactions send their statements back to back: if it stops
   * (frozen, its event loop blocked) between two of them, the locks it
   * holds are freed for the others after this long.
   */
  idleInTransactionTimeoutMs?: number;
}

/**
 * Seconds a new connection may take (TCP, TLS, start-up, authentication)
 * before it fails and the next query tries again. Short on purpose: an
 * attempt made while the server restarts can hang unanswered, and with 10 s
 * a projector that tried then stayed behind for 10 s after the server was
 * back (tests/e2e/fault_injection_test.ts failed 5 of 9 runs under load that
 * way, 0 of 10 with 3 s).
 */
export const CONNECT_TIMEOUT_S = 3;

/**
 * Seconds a pool waits before it opens a connection again after one failed,
 * by how many failed in a row: 0.1 doubling to 1, with jitter. postgres.js's
 * own backoff grows by 3x per failure, shared by the whole pool, up to 20 s:
 * the ten connections of a pool failing through a database restart reached
 * it within seconds, and the pool then waited up to 20 s after the server
 * was back (a probe saw pings fail for 4 s after PostgreSQL accepted
 * connections again). A refused or failed attempt costs next to nothing, so
 * trying once a second is cheap.
 */
export function reconnectDelayS(failures: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** failures, 1);
}

/**
 * postgres.js's types with json and jsonb read by {@link parseJson}: the
 * native parser can misread an escaped key (see shared/runtime/json.ts).
 */
const TYPES = {
  json: {
    to: 114,
    from: [114, 3802],
    serialize: (value: unknown) => JSON.stringify(value),
    parse: parseJson,
  },
};

/**
 * Every connection of the project is opened here: with `options` and the
 * project's types (jsonb read by {@link parseJson}), server notices kept
 * off stdout unless `onnotice` says otherwise, and a reconnection delay of
 * at most 1 s ({@link reconnectDelayS}).
 */
export function openPostgres(url: string, options: postgres.Options<Record<string, never>>): Sql {
  return postgres(url, {
    onnotice: () => {},
    backoff: reconnectDelayS,
    ...options,
    types: TYPES,
  }) as unknown as Sql;
}

/** Opens a connection pool with the project's defaults (no notices on stdout, bigint as string). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return openPostgres(url, {
    max: options.max ?? 10,
    connection: {
      application_name: options.applicationName ?? "cqrs",
      ...(options.idleInTransactionTimeoutMs === undefined ? {} : {
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
      }),
    },
    idle_timeout: 30,
    connect_timeout: CONNECT_TIMEOUT_S,
  });
}

/** Returns the URL with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The database name of a connection URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || "postgres";
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = connect(withDatabase(url, "postgres"), { max: 1 });
  try {
    const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (found.length === 0) {
      try {
        await admin.unsafe(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } catch (err) {
        // Two starters racing: the other one created it.
        if ((err as { code?: string }).code !== "42P04") throw err;
      }
    }
  } finally {
    await admin.end();
  }
}

/** Drops the database named in `url`, closing its other connections first. */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = connect(withDatabase(url, "postgres"), { max: 1 });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
