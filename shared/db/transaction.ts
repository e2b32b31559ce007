import type { Sql, TxSql } from "./connect.ts";
import { isConnectionFailure, isPgError } from "./errors.ts";

/**
 * A connection postgres.js reserved for a transaction, guarded against its
 * loss. postgres.js 3.4 leaves a statement sent on a reserved connection
 * after that connection closed unsettled forever (its socket is gone; the
 * write throws in a timer, uncaught), and `release()` of such a connection
 * puts it back among the open ones, where the pool's next query hangs the
 * same way (porsager/postgres#1186, #1199). So each statement made through
 * `conn` is watched: once one fails because the connection is gone, the
 * statements made after it fail at once without being sent (no ROLLBACK
 * either: the server ended the transaction with the session), and the
 * connection is not released: the pool counts it closed already and opens
 * a new one in its place. An error that `fn` raises for another reason, or
 * from another connection, leaves the transaction to roll back as usual.
 */
async function reserveGuarded(sql: Sql) {
  const reserved = await sql.reserve();
  let lost: unknown;
  const watch = <Q>(made: Q): Q => {
    const query = made as { then?: (...a: unknown[]) => unknown };
    if (typeof query?.then !== "function") return made;
    const then = query.then;
    // postgres.js sends a statement when its then() is first called: watching its outcome
    // through then() sends nothing that would not be sent anyway.
    query.then = function (onFulfilled?: unknown, onRejected?: unknown) {
      return then.call(this, onFulfilled, (err: unknown) => {
        if (lost === undefined && isConnectionFailure(err)) lost = err;
        if (typeof onRejected === "function") return onRejected(err);
        throw err;
      });
    };
    return made;
  };
  const refused = () => Promise.reject(lost);
  const isStatement = (args: unknown[]) => Array.isArray(args[0]) && "raw" in args[0];
  const conn = new Proxy(reserved, {
    apply: (target, self, args) =>
      isStatement(args) && lost !== undefined
        ? refused()
        : watch(Reflect.apply(target, self, args)),
    get: (target, key, receiver) => {
      const value = Reflect.get(target, key, receiver);
      if (key !== "unsafe") return value;
      return (...args: unknown[]) =>
        lost !== undefined ? refused() : watch((value as (...a: unknown[]) => unknown)(...args));
    },
  });
  return {
    conn,
    /** Whether a statement failed because the connection is gone. */
    get lost() {
      return lost !== undefined;
    },
    release() {
      if (lost === undefined) reserved.release();
    },
  };
}

/**
 * The server answered COMMIT with an error (a deferred check that failed, a
 * lock COMMIT waited for past lock_timeout), or rolled the transaction back
 * at COMMIT because a statement of it had failed: nothing of it was written.
 * Unlike a connection lost at COMMIT, whose outcome is unknown. `cause` is
 * the server's error, when it gave one.
 */
export class CommitRefusedError extends Error {
  override readonly name = "CommitRefusedError";
  /** The server's SQLSTATE (55P03 for a lock timeout, say), for callers that retry by code. */
  readonly code: string | undefined;
  constructor(cause?: unknown) {
    super(
      cause === undefined
        ? "The transaction was rolled back at COMMIT: a statement of it had failed"
        : `The server refused COMMIT, so the transaction was rolled back: ${
          (cause as { message?: unknown }).message
        }`,
      cause === undefined ? {} : { cause },
    );
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/**
 * Whether COMMIT's error is the server's refusal (an ERROR: the transaction
 * rolled back), not the connection lost under it (the outcome unknown).
 */
function refusedByServer(err: unknown): boolean {
  return isPgError(err) && err.severity === "ERROR" && !isConnectionFailure(err);
}

/** Options of {@link pipelinedTransaction}. */
export interface PipelinedOptions {
  /**
   * `tx.savepoint(fn)` runs `fn` as a plain block, with no savepoint: an
   * error inside fails the whole transaction. For a transaction that runs
   * several callers' statements side by side, whose savepoints would undo
   * each other's; such a transaction runs again some other way when it
   * fails. Default false: real savepoints.
   */
  plainSavepoints?: boolean;
}

/**
 * Runs `fn` in a transaction on a connection of `sql`, like `sql.begin`,
 * but BEGIN goes out with the first statement instead of a round trip of
 * its own. `fn` must await its statements (an error of one surfaces before
 * COMMIT); `tx.savepoint(fn)` works as in a `sql.begin` (see
 * {@link PipelinedOptions} for the other way). On an error from `fn` the
 * transaction rolls back and the error is thrown. A COMMIT the server
 * refuses or turns into a rollback throws {@link CommitRefusedError} (nothing
 * written); any other error of COMMIT (the connection lost, the outcome
 * unknown) is thrown as it came. The project's transactions go
 * through here, not `sql.begin`: a connection lost midway fails the
 * transaction at once and leaves the pool working (see reserveGuarded).
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  fn: (tx: TxSql) => Promise<T>,
  options: PipelinedOptions = {},
): Promise<T> {
  const reserved = await reserveGuarded(sql);
  const { conn } = reserved;
  try {
    const begin = conn`BEGIN`;
    begin.catch(() => {}); // its failure fails the statements after it, which fn awaits
    let savepoints = 0;
    const savepoint = async <R>(nameOrFn: unknown, maybeFn?: (sp: TxSql) => Promise<R>) => {
      const body = (typeof nameOrFn === "function" ? nameOrFn : maybeFn) as (
        sp: TxSql,
      ) => Promise<R>;
      if (options.plainSavepoints) return await body(tx);
      const name = `sp${++savepoints}`;
      await conn.unsafe(`SAVEPOINT ${name}`);
      try {
        const value = await body(tx);
        await conn.unsafe(`RELEASE SAVEPOINT ${name}`);
        return value;
      } catch (err) {
        await conn.unsafe(`ROLLBACK TO SAVEPOINT ${name}`);
        throw err;
      }
    };
    const tx = Object.assign(conn, { savepoint }) as unknown as TxSql;
    let result: T;
    try {
      result = await fn(tx);
      await begin;
    } catch (err) {
      if (!reserved.lost) await conn`ROLLBACK`.catch(() => {});
      throw err;
    }
    const [done] = await conn<{ command: string }[]>`COMMIT`.then((r) => [r], (err: unknown) => {
      throw refusedByServer(err) ? new CommitRefusedError(err) : err;
    });
    if (done?.command !== "COMMIT") throw new CommitRefusedError();
    return result;
  } finally {
    reserved.release();
  }
}

/** What {@link transactionAtOnce} found. */
export interface AtOnce {
  /** COMMIT committed: every statement went through. */
  committed: boolean;
  /** Each statement's settled result, in the order `send` gave them. */
  settled: PromiseSettledResult<unknown>[];
}

/**
 * Runs a transaction in one round trip: BEGIN, the statements that `send`
 * starts and COMMIT go out together, and the server runs them in that order.
 * The first statement that fails aborts the transaction, the ones after it
 * fail with it, and COMMIT then rolls back (`committed` false). So every
 * check must be a statement that fails (SQL that raises, see es_refuse),
 * not code that reads an answer: `send` must start all its statements
 * before it returns, and one started later throws. When `send` throws, the
 * transaction rolls back and its error is thrown; the statements it started
 * are undone unheard (a promise derived from one is the caller's to catch).
 * Every query made through `tx` is sent as a statement of its own, so a
 * query cannot be a fragment of another here. A COMMIT the server refuses
 * (an error of a deferred check, a lock waited for past lock_timeout)
 * rolled back too: `committed` false. A COMMIT whose connection failed (the
 * outcome unknown) is thrown as it came.
 */
export async function transactionAtOnce(
  sql: Sql,
  send: (tx: TxSql) => Promise<unknown>[],
): Promise<AtOnce> {
  const reserved = await reserveGuarded(sql);
  const { conn } = reserved;
  try {
    let open = true;
    const late = () => {
      throw new Error(
        "A statement of a one-round-trip transaction started after its COMMIT: start every " +
          "statement before send() returns",
      );
    };
    // postgres.js sends a statement once something calls its then() or execute(), and
    // `await` calls then() a turn later: a statement awaited inside an async helper would go
    // out after the COMMIT started below. So each statement is sent as it is made, and the
    // server gets them in the order `send` made them.
    const made: Promise<unknown>[] = [];
    const now = <T>(statement: T): T => {
      const query = statement as { execute?: () => unknown } & Promise<unknown>;
      if (typeof query?.execute === "function") {
        query.execute();
        made.push(query);
      }
      return statement;
    };
    const tx = new Proxy(conn, {
      apply: (target, self, args) => open ? now(Reflect.apply(target, self, args)) : late(),
      get: (target, key, receiver) => {
        if (key === "savepoint" || key === "begin" || key === "reserve" || key === "file") {
          return () => {
            throw new Error(`No ${String(key)}() in a one-round-trip transaction`);
          };
        }
        const value = Reflect.get(target, key, receiver);
        if (key !== "unsafe") return value;
        return (...args: unknown[]) => open ? now(value(...args)) : late();
      },
    }) as unknown as TxSql;
    const begin = conn`BEGIN`;
    begin.catch(() => {}); // its failure fails everything after it
    let statements: Promise<unknown>[];
    try {
      statements = send(tx);
    } catch (err) {
      open = false;
      // The statements sent before the throw are undone with the transaction; a failure of
      // theirs has no one left to hear it.
      for (const statement of made) statement.catch(() => {});
      if (!reserved.lost) await conn`ROLLBACK`.catch(() => {});
      throw err;
    }
    open = false;
    const commit = conn<{ command: string }[]>`COMMIT`.then(
      (r) => r.command,
      (err: unknown) => {
        if (refusedByServer(err)) return "ROLLBACK";
        throw err;
      },
    );
    commit.catch(() => {}); // awaited below, after the statements
    const settled = await Promise.allSettled(statements);
    const tag = await commit;
    await begin.catch(() => {});
    return { committed: tag === "COMMIT", settled };
  } finally {
    reserved.release();
  }
}
