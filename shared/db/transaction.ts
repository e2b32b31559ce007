import type { Sql, TxSql } from "./connect.ts";

/**
 * Runs `fn` in a transaction on a connection of `sql`, like `sql.begin`,
 * but BEGIN goes out with the first statement instead of a round trip of
 * its own. `fn` must await its statements (an error of one surfaces before
 * COMMIT); `tx.savepoint(fn)` works as in a `sql.begin`. On an error from `fn` the
 * transaction rolls back and the error is thrown; an error of COMMIT itself
 * (the outcome unknown) is thrown as it came.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  fn: (tx: TxSql) => Promise<T>,
): Promise<T> {
  const conn = await sql.reserve();
  try {
    const begin = conn`BEGIN`;
    begin.catch(() => {}); // its failure fails the statements after it, which fn awaits
    let savepoints = 0;
    const tx = Object.assign(conn, {
      async savepoint<R>(nameOrFn: unknown, maybeFn?: (sp: TxSql) => Promise<R>): Promise<R> {
        const body = (typeof nameOrFn === "function" ? nameOrFn : maybeFn) as (
          sp: TxSql,
        ) => Promise<R>;
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
      },
    }) as unknown as TxSql;
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
