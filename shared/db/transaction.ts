import type { Sql, TxSql } from "./connect.ts";

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
 * transaction rolls back and the error is thrown; an error of COMMIT itself
 * (the outcome unknown) is thrown as it came.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  fn: (tx: TxSql) => Promise<T>,
  options: PipelinedOptions = {},
): Promise<T> {
  const conn = await sql.reserve();
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
      await conn`ROLLBACK`.catch(() => {});
      throw err;
    }
    const [done] = await conn<{ command: string }[]>`COMMIT`.then((r) => [r]);
    if (done?.command !== "COMMIT") throw new Error("The transaction was rolled back at COMMIT");
    return result;
  } finally {
    conn.release();
  }
}
