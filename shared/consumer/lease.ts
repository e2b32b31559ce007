import { pipelinedTransaction } from "@shared/db/transaction.ts";
import { CONNECT_TIMEOUT_S, openPostgres, type Sql, type TxSql } from "@shared/db/connect.ts";

/**
 * Advisory-lock namespaces, the first key of PostgreSQL's two-key form; the
 * second is {@link consumerKey}. `lease`: the consumer's owner, who alone
 * follows the events and writes its tables. `takeover`: held by an operation
 * (rebuild, replay) that waits for the lease; the owner hands the lease over
 * and replicas leave it alone while it is held. `rebuild`: one rebuild per
 * projection at a time.
 */
export const LOCK_NAMESPACES = {
  lease: 0x50524a4c,
  takeover: 0x50524a54,
  rebuild: 0x50524a52,
} as const;

/** One of the advisory locks a consumer has. */
export type LockKind = keyof typeof LOCK_NAMESPACES;

/** The second advisory-lock key of a consumer: FNV-1a of its name, as a signed int4. */
export function consumerKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** Raised when a session no longer holds the lease it needs. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

/** Raised when a lease cannot be taken over in time. */
export class LeaseTimeoutError extends Error {
  override readonly name = "LeaseTimeoutError";
}

/**
 * A lease session ({@link openLeaseSession}) that can be replaced by a new
 * connection when the one it has stops answering.
 */
export type LeaseSession = Sql & {
  /** Counts the replacements: which connection a query went to. */
  readonly generation: number;
  /** The application name its connections give PostgreSQL (pg_stat_activity). */
  readonly applicationName: string;
  /**
   * Ends the connection of `generation` at once, failing the queries that
   * wait on it, and sends what comes next to a new session, which holds no
   * lock: the owner's next {@link Lease.check} says the lease is lost, and
   * {@link Lease.fence} still keeps out a batch while another session
   * holds it. Does nothing when that connection was replaced already (the
   * consumers that share a session each notice the same stall).
   */
  replace(generation: number): void;
  /**
   * `work` (a transaction on this session), or SessionReplacedError as soon
   * as the connection it runs on is replaced: a query cut off on a replaced
   * connection may never settle, and nothing may wait on it forever.
   */
  whileCurrent<T>(work: Promise<T>): Promise<T>;
};

/** Raised into the work of a lease session's connection when that connection is replaced. */
export class SessionReplacedError extends Error {
  override readonly name = "SessionReplacedError";
  constructor() {
    super("The lease session's connection stopped answering and was replaced");
  }
}

/** A promise that rejects when `retire` is called. */
function retirement(): { retired: Promise<never>; retire: () => void } {
  let retire = () => {};
  const retired = new Promise<never>((_, reject) => {
    retire = () => reject(new SessionReplacedError());
  });
  retired.catch(() => {});
  return { retired, retire };
}

/**
 * What the server does with a lease session whose process stopped sending
 * (frozen by SIGSTOP, its event loop blocked, its host paused): it ends the
 * session, and the session's locks with it, so a standby takes the lease.
 * Without this, a frozen owner keeps its connection open (its kernel still
 * answers TCP) and holds the lease for as long as it stays frozen: a probe
 * froze the projector that owned the projections, and a category written
 * next was still unread 60 s later. An owner that runs sends a statement on
 * its session at every lease check (`leaseCheckMs`), and a standby tries
 * the lease as often, so a session idle for 10 s, or five checks if that is
 * longer, belongs to a stopped process. A transaction's statements follow
 * each other closely, but a handler may work in the client between two of
 * them, as the workers' stall check allows (30 s). Sent as startup
 * parameters.
 */
function leaseSessionTimeouts(leaseCheckMs: number): Record<string, string> {
  return {
    idle_session_timeout: `${Math.max(10_000, 5 * leaseCheckMs)}ms`,
    idle_in_transaction_session_timeout: "30s",
  };
}

/**
 * Opens a dedicated session for leases: one connection that is never closed
 * for idleness or age (postgres.js would otherwise recycle it, and a session
 * lock with it). If it drops anyway, the next query opens a new session that
 * holds nothing, which {@link Lease.check} and the fence notice. If it stops
 * answering (a connection left half-open by a network fault or a server
 * crash), {@link LeaseSession.replace} swaps it for a new one. `settings` are
 * sent at every connection (startup parameters), so they outlive a
 * reconnection. Unless they say otherwise, the server ends the session
 * when its process stops sending: after five of its `leaseCheckMs` (default
 * 1000), and at least 10 s, without a statement ({@link leaseSessionTimeouts}).
 */
export function openLeaseSession(
  url: string,
  applicationName: string,
  settings: Readonly<Record<string, string>> = {},
  leaseCheckMs = 1000,
): LeaseSession {
  const name = applicationName.slice(0, 63);
  const open = () =>
    openPostgres(url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: CONNECT_TIMEOUT_S,
      connection: { ...leaseSessionTimeouts(leaseCheckMs), ...settings, application_name: name },
    });
  let current = open();
  let generation = 0;
  let life = retirement();
  const replace = (stalled: number) => {
    if (stalled !== generation) return;
    const old = current;
    const ended = life;
    current = open();
    life = retirement();
    generation++;
    old.end({ timeout: 0 }).catch(() => {});
    ended.retire();
  };
  const whileCurrent = <T>(work: Promise<T>): Promise<T> => Promise.race([work, life.retired]);
  // postgres.js's `sql` is a function with methods that close over their instance, so
  // every call and property goes to whichever instance is current.
  return new Proxy(function session() {} as unknown as LeaseSession, {
    apply: (_target, _this, args) => (current as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_target, prop) => {
      if (prop === "replace") return replace;
      if (prop === "generation") return generation;
      if (prop === "whileCurrent") return whileCurrent;
      if (prop === "applicationName") return name;
      return Reflect.get(current, prop);
    },
  });
}

/** A predicate on pg_locks: the advisory lock `kind` of the consumer keyed `$1`, in this database. */
function lockRow(kind: LockKind): string {
  return `locktype = 'advisory' AND objsubid = 2 AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND classid = ${LOCK_NAMESPACES[kind]}::oid AND objid = $1::int4::oid`;
}

/**
 * A consumer's lease (a projection's, the saga worker's) on a dedicated
 * session (see {@link openLeaseSession}) in the database of its writes: a
 * session-level advisory lock, so it is released the moment its holder's
 * connection ends, whether the process stopped or was killed. The owner runs
 * its batches on the same session, each fenced by {@link Lease.fence}.
 */
export class Lease {
  /** The session the lease lives on; batches run here too. */
  readonly sql: LeaseSession;
  /** The consumer's name. */
  readonly name: string;
  readonly #key: number;
  #backendPid: number | undefined;

  constructor(sql: LeaseSession, name: string) {
    this.sql = sql;
    this.name = name;
    this.#key = consumerKey(name);
  }

  /** The server process of the session as the last take or check of the lease found it. */
  get backendPid(): number | undefined {
    return this.#backendPid;
  }

  /**
   * Takes the lease unless another session holds it or a takeover is
   * pending; true when this session holds it afterwards.
   */
  async tryAcquire(): Promise<boolean> {
    const [row] = await this.sql.unsafe<{ held: boolean; pid: number }[]>(
      `SELECT pg_backend_pid() AS pid, CASE
         WHEN EXISTS (SELECT 1 FROM pg_locks WHERE ${lockRow("lease")} AND pid = pg_backend_pid())
           THEN true
         WHEN EXISTS (SELECT 1 FROM pg_locks WHERE ${lockRow("takeover")}) THEN false
         ELSE pg_try_advisory_lock(${LOCK_NAMESPACES.lease}, $1::int4)
       END AS held`,
      [this.#key],
    );
    this.#backendPid = row?.pid;
    return row?.held === true;
  }

  /**
   * Whether this session still holds the lease (false after its connection
   * dropped and came back as a new session), and whether an operation waits
   * to take it over.
   */
  async check(): Promise<{ held: boolean; takeover: boolean }> {
    const [row] = await this.sql.unsafe<{ held: boolean; takeover: boolean; pid: number }[]>(
      `SELECT pg_backend_pid() AS pid,
         EXISTS (SELECT 1 FROM pg_locks WHERE ${lockRow("lease")} AND pid = pg_backend_pid())
           AS held,
         EXISTS (SELECT 1 FROM pg_locks WHERE ${lockRow("takeover")}
           AND pid <> pg_backend_pid()) AS takeover`,
      [this.#key],
    );
    this.#backendPid = row?.pid;
    return { held: row?.held === true, takeover: row?.takeover === true };
  }

  /** Gives up locks of this consumer held by this session: all of them unless named. */
  async release(kinds: readonly LockKind[] = ["lease", "takeover", "rebuild"]): Promise<void> {
    for (const kind of kinds) {
      // A session lock taken twice is held until unlocked twice.
      for (let i = 0; i < 16; i++) {
        const [row] = await this.sql<{ ok: boolean }[]>`
          SELECT pg_advisory_unlock(${LOCK_NAMESPACES[kind]}, ${this.#key}::int4) AS ok`;
        if (!row?.ok) break;
      }
    }
  }

  /**
   * The first statement of every write transaction of the owner: it goes on
   * only while no other session holds the lease, and keeps it so until the
   * transaction ends. A batch of an owner that lost its lease (its session
   * dropped, a takeover came) thus never commits over the new owner's work.
   * `settings` are set for the transaction in the same round trip.
   */
  async fence(tx: TxSql, settings: Readonly<Record<string, string>> = {}): Promise<void> {
    const names = Object.keys(settings);
    const [row] = await tx<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(${LOCK_NAMESPACES.lease}, ${this.#key}::int4) AS ok,
        (SELECT count(set_config(s.name, s.value, true))
         FROM unnest(${names}::text[], ${names.map((n) => settings[n]!)}::text[]) AS s(name, value))
          AS settings`;
    if (!row?.ok) {
      throw new LeaseLostError(`Lost the lease of "${this.name}"`);
    }
  }

  /**
   * {@link Lease.fence} for the leases of several consumers on one session,
   * in one statement: a transaction that commits their batches together
   * goes on only while it holds every one. Names the leases lost.
   */
  static async fenceAll(tx: TxSql, leases: readonly Lease[]): Promise<void> {
    const rows = await tx<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(${LOCK_NAMESPACES.lease}, k) AS ok
      FROM unnest(${leases.map((l) => l.#key)}::int4[]) WITH ORDINALITY AS t(k, n) ORDER BY n`;
    const lost = leases.filter((_, i) => rows[i]?.ok !== true);
    if (lost.length > 0) {
      throw new LeaseLostError(`Lost the lease of ${lost.map((l) => `"${l.name}"`).join(", ")}`);
    }
  }

  /**
   * Takes the lease over from whoever owns it, for an operation that must
   * write the consumer's tables alone (rebuild, replay): it takes the
   * takeover lock, so the owner hands over at its next check and replicas
   * wait, then waits for the lease. Undo with {@link Lease.release}.
   */
  async takeOver(timeoutMs: number): Promise<void> {
    const [row] = await this.sql<{ ok: boolean }[]>`
      SELECT pg_try_advisory_lock(${LOCK_NAMESPACES.takeover}, ${this.#key}::int4) AS ok`;
    if (!row?.ok) {
      throw new LeaseTimeoutError(
        `Cannot take over "${this.name}": another operation is taking it over`,
      );
    }
    try {
      await pipelinedTransaction(this.sql, async (tx) => {
        await tx.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
        await tx`SELECT pg_advisory_lock(${LOCK_NAMESPACES.lease}, ${this.#key}::int4)`;
      });
    } catch (err) {
      await this.release(["takeover"]).catch(() => {});
      if ((err as { code?: string }).code === "55P03") {
        throw new LeaseTimeoutError(
          `Cannot take over "${this.name}": its owner did not hand the lease over within ${timeoutMs} ms`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Takes another lock of this consumer on this session; false when someone else holds it. */
  async tryLock(kind: LockKind): Promise<boolean> {
    const [row] = await this.sql<{ ok: boolean }[]>`
      SELECT pg_try_advisory_lock(${LOCK_NAMESPACES[kind]}, ${this.#key}::int4) AS ok`;
    return row?.ok === true;
  }
}

/** Who holds a consumer's locks, from pg_locks and pg_stat_activity of its database. */
export interface LockHolder {
  consumer: string;
  kind: LockKind;
  pid: number;
  /** The holder's application name, e.g. `projector/host/1234`. */
  applicationName: string;
  /** When the holder's session started. */
  since: Date;
}

/** Every holder of the leases, takeovers and rebuilds of the named consumers. */
export async function lockHolders(sql: Sql, consumers: readonly string[]): Promise<LockHolder[]> {
  const byKey = new Map(consumers.map((c) => [consumerKey(c) >>> 0, c]));
  const kinds = new Map<number, LockKind>(
    Object.entries(LOCK_NAMESPACES).map(([k, v]) => [v, k as LockKind]),
  );
  const rows = await sql<
    { classid: string; objid: string; pid: number; application_name: string; since: Date }[]
  >`
    SELECT l.classid::text, l.objid::text, l.pid, coalesce(a.application_name, '') AS application_name,
      a.backend_start AS since
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = ANY(${[...kinds.keys()]}::oid[])`;
  return rows.flatMap((r) => {
    const consumer = byKey.get(Number(r.objid));
    const kind = kinds.get(Number(r.classid));
    if (!consumer || !kind) return [];
    return [{ consumer, kind, pid: r.pid, applicationName: r.application_name, since: r.since }];
  });
}
