import { openPostgres, type Sql } from "@shared/db/connect.ts";
import type { Logger } from "@shared/log/mod.ts";

/** Options of {@link startWakeup}. */
export interface WakeupOptions {
  /** The NOTIFY channel; default `events`, the event store's. */
  channel?: string;
  /** Application name of the LISTEN connection; default `consumer-wakeup`. */
  applicationName?: string;
  /** How often the LISTEN connection is checked with a query; default 5000 ms. */
  pingMs?: number;
  /** First delay before a reconnection attempt, doubled up to `maxRetryMs`; default 100 ms. */
  retryMs?: number;
  /** Longest delay between reconnection attempts; default 5000 ms. */
  maxRetryMs?: number;
  logger?: Logger;
}

/** A source of wake-ups that keeps its LISTEN connection up by itself. */
export interface Wakeup {
  /**
   * Calls `fn` on every notification, with its payload, and after every
   * (re)connection, without, since notifications may have been missed while
   * it was down. Returns a function that stops the calls.
   */
  onWake(fn: (payload?: string) => void): () => void;
  /** Whether the LISTEN connection is up. */
  readonly listening: boolean;
  /** How many times the LISTEN was (re)established. */
  readonly connections: number;
  /** Closes the connection and stops reconnecting. */
  stop(): Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * LISTENs to a channel (by default the event store's payload-free wake-ups)
 * on a connection of its own. When the connection drops (server restart, network, a terminated
 * backend) or stops answering its ping, it is replaced, with back-off, until
 * it is back; every (re)connection wakes the listeners, so a notification
 * lost meanwhile only delays them. (postgres.js `listen` re-listens once on
 * close and gives up silently when that attempt fails.)
 */
export function startWakeup(url: string, options: WakeupOptions = {}): Wakeup {
  const channel = options.channel ?? "events";
  const pingMs = options.pingMs ?? 5000;
  const firstRetry = options.retryMs ?? 100;
  const maxRetry = options.maxRetryMs ?? 5000;
  const listeners = new Set<(payload?: string) => void>();
  let sql: Sql | undefined;
  let generation = 0;
  let listening = false;
  let connections = 0;
  let stopped = false;
  let retry = firstRetry;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const wake = (payload?: string) => {
    for (const fn of listeners) fn(payload);
  };
  const schedule = (fn: () => void, ms: number) => {
    clearTimeout(timer);
    timer = stopped ? undefined : setTimeout(fn, ms);
  };
  const drop = (reason: unknown) => {
    const old = sql;
    sql = undefined;
    listening = false;
    generation++;
    if (old) old.end({ timeout: 0 }).catch(() => {});
    if (stopped) return;
    if (failures++ === 0) {
      options.logger?.warn("wake-up connection lost; reconnecting", { error: reason });
    }
    schedule(open, retry);
    retry = Math.min(retry * 2, maxRetry);
  };
  const open = async () => {
    if (stopped) return;
    const mine = ++generation;
    const conn = openPostgres(url, {
      // postgres.js delivers NOTIFY of a plain pool to this option (its `listen` uses it too).
      ...({
        onnotify: (name: string, payload: string) => {
          if (name === channel && mine === generation) wake(payload);
        },
      } as Record<string, unknown>),
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: 5,
      connection: { application_name: options.applicationName ?? "consumer-wakeup" },
      onclose: () => {
        if (mine === generation) drop(new Error("connection closed"));
      },
    });
    sql = conn;
    try {
      await conn.unsafe(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      if (mine === generation) drop(err);
      return;
    }
    if (mine !== generation) return;
    listening = true;
    connections++;
    if (failures > 0) options.logger?.info("wake-up connection back", { after: failures });
    failures = 0;
    retry = firstRetry;
    wake();
    schedule(ping, pingMs);
  };
  const ping = async () => {
    const conn = sql;
    const mine = generation;
    if (!conn || stopped) return;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        conn`SELECT 1`,
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error("ping timed out")), pingMs);
        }),
      ]);
      if (mine === generation) schedule(ping, pingMs);
    } catch (err) {
      if (mine === generation) drop(err);
    } finally {
      clearTimeout(timeout);
    }
  };
  open();

  return {
    onWake(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get listening() {
      return listening;
    },
    get connections() {
      return connections;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      generation++;
      listening = false;
      const conn = sql;
      sql = undefined;
      await conn?.end({ timeout: 1 }).catch(() => {});
    },
  };
}
