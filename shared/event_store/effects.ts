import type { TxSql } from "@shared/db/connect.ts";
import { refusalOf } from "./errors.ts";
import type { AppendEffects, EffectStatement, SqlEffects } from "./types.ts";

/**
 * Sends one effect statement in a transaction, now: a refusal it raises
 * becomes the error its `refused` gives; any other error passes as it is.
 */
export function sendEffect(tx: TxSql, statement: EffectStatement): Promise<void> {
  const query = tx.unsafe(statement.sql, statement.params as never[], { prepare: true });
  return Promise.resolve(query.then(() => {}, (err: unknown) => {
    const refusal = refusalOf(err);
    throw (refusal && statement.refused?.(refusal)) ?? err;
  }));
}

/** Effects made of these statements, run in order; see {@link SqlEffects}. */
export function sqlEffects(statements: readonly EffectStatement[]): SqlEffects {
  return { statements, send: (tx) => statements.map((s) => sendEffect(tx, s)) };
}

/** Whether effects are statements given as data, which can be folded into an append. */
export function isSqlEffects(effects: AppendEffects | undefined): effects is SqlEffects {
  return typeof effects === "object" && effects !== null && "statements" in effects;
}
