import type { Sql, TxSql } from "@shared/db/connect.ts";
import { ORIGIN, type Position } from "@shared/event_store/mod.ts";

/** Reads a projection's checkpoint; the origin when it has none yet. */
export async function readCheckpoint(sql: Sql, projection: string): Promise<Position> {
  const rows = await sql<{ transaction_id: string; position: string }[]>`
    SELECT transaction_id::text, position::text FROM projection_checkpoints
    WHERE projection = ${projection}`;
  const row = rows[0];
  return row ? { transactionId: row.transaction_id, id: row.position } : ORIGIN;
}

/** Advances a projection's checkpoint, inside the transaction that applied the events. */
export async function writeCheckpoint(
  tx: TxSql,
  projection: string,
  position: Position,
): Promise<void> {
  await tx`
    INSERT INTO projection_checkpoints (projection, transaction_id, position, updated_at)
    VALUES (${projection}, ${position.transactionId}::xid8, ${position.id}, now())
    ON CONFLICT (projection) DO UPDATE
      SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
          updated_at = now()`;
}
