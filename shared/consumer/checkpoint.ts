import type { Sql, TxSql } from "@shared/db/connect.ts";
import { ORIGIN, type Position } from "@shared/event_store/mod.ts";

/**
 * A table of checkpoints, one row per consumer: its name in `key`, and the
 * position of the last event it handled in `transaction_id` (xid8) and
 * `position` (bigint), with `updated_at`. It lives in the database of the
 * consumer's writes, so a batch advances it in its own transaction.
 */
export interface CheckpointTable {
  /** The table's name. */
  readonly table: string;
  /** Reads a consumer's checkpoint; the origin when it has none yet. */
  read(sql: Sql | TxSql, name: string): Promise<Position>;
  /** Advances a consumer's checkpoint, inside the transaction that handled the events. */
  write(tx: TxSql, name: string, position: Position): Promise<void>;
  /** Advances the checkpoints of several consumers in one statement (names distinct). */
  writeAll(tx: TxSql, checkpoints: readonly { name: string; position: Position }[]): Promise<void>;
}

/** The checkpoints kept in `table`, keyed by the column `key`. */
export function checkpointTable(table: string, key: string): CheckpointTable {
  const writeAll: CheckpointTable["writeAll"] = async (tx, checkpoints) => {
    await tx`
      INSERT INTO ${tx(table)} (${tx(key)}, transaction_id, position, updated_at)
      SELECT name, xid::xid8, position, now()
      FROM unnest(
        ${checkpoints.map((c) => c.name)}::text[],
        ${checkpoints.map((c) => c.position.transactionId)}::text[],
        ${checkpoints.map((c) => c.position.id)}::bigint[]
      ) AS c(name, xid, position)
      ON CONFLICT (${tx(key)}) DO UPDATE
        SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
            updated_at = now()`;
  };
  return {
    table,
    async read(sql, name) {
      const rows = await sql<{ transaction_id: string; position: string }[]>`
        SELECT transaction_id::text, position::text FROM ${sql(table)} WHERE ${sql(key)} = ${name}`;
      const row = rows[0];
      return row ? { transactionId: row.transaction_id, id: row.position } : ORIGIN;
    },
    write: (tx, name, position) => writeAll(tx, [{ name, position }]),
    writeAll,
  };
}
