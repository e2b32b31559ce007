import type { TxSql } from "@shared/db/connect.ts";
import type postgres from "postgres";

/**
 * Rows as one JSON parameter, for `jsonb_to_recordset(...)`: a whole group of
 * events goes to the server as a single statement.
 */
export function records(tx: TxSql, rows: readonly object[]): postgres.Parameter {
  return tx.json(rows as never);
}
