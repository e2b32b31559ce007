import type { Sql, TxSql } from "@shared/db/connect.ts";
import { nextDeadline, type OrderSagaState } from "@shared/domain/order_saga/mod.ts";
import { ORIGIN, type Position } from "@shared/event_store/mod.ts";

/** The worker's checkpoint name in `saga_checkpoints`. */
export const CHECKPOINT = "order_saga";

/** One row of `saga_instances`: a saga's last known status. */
export interface InstanceRow {
  sagaId: string;
  orderId: string;
  status: string;
  version: number;
  deadline: string | null;
}

/** The row a saga state at a stream version gives. */
export function instanceRow(state: OrderSagaState, version: number): InstanceRow {
  return {
    sagaId: state.sagaId,
    orderId: state.orderId,
    status: state.status,
    version,
    deadline: nextDeadline(state),
  };
}

/** Where the worker left off; the origin on its first start. */
export async function readCheckpoint(sql: Sql): Promise<Position> {
  const rows = await sql<{ transaction_id: string; position: string }[]>`
    SELECT transaction_id::text, position::text FROM saga_checkpoints WHERE name = ${CHECKPOINT}`;
  const row = rows[0];
  return row ? { transactionId: row.transaction_id, id: row.position } : ORIGIN;
}

/**
 * Records the sagas a batch touched and advances the checkpoint past it, in
 * one transaction, once the batch's saga events are appended.
 */
export async function commitBatch(
  sql: Sql,
  position: Position,
  rows: InstanceRow[],
): Promise<void> {
  await sql.begin(async (tx) => {
    await upsert(tx, rows);
    await tx`
      INSERT INTO saga_checkpoints (name, transaction_id, position, updated_at)
      VALUES (${CHECKPOINT}, ${position.transactionId}::xid8, ${position.id}, now())
      ON CONFLICT (name) DO UPDATE
        SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
            updated_at = now()`;
  });
}

/** Records sagas decided outside a batch (timeouts, refused commands, resume). */
export async function saveInstances(sql: Sql, rows: InstanceRow[]): Promise<void> {
  if (rows.length > 0) await sql.begin((tx) => upsert(tx, rows));
}

/** The sagas last known unfinished: the ones to resume. */
export async function unfinishedSagas(sql: Sql): Promise<{ sagaId: string; orderId: string }[]> {
  return await sql<{ sagaId: string; orderId: string }[]>`
    SELECT saga_id::text AS "sagaId", order_id::text AS "orderId" FROM saga_instances
    WHERE status NOT IN ('completed', 'compensated') ORDER BY deadline NULLS LAST`;
}

async function upsert(tx: TxSql, rows: InstanceRow[]): Promise<void> {
  if (rows.length === 0) return;
  // One lock order for every writer (batch and timer), so two never deadlock.
  const sorted = [...rows].sort((a, b) => a.sagaId < b.sagaId ? -1 : 1);
  const values = sorted.map((r) => ({
    saga_id: r.sagaId,
    order_id: r.orderId,
    status: r.status,
    version: r.version,
    deadline: r.deadline,
  }));
  await tx`
    INSERT INTO saga_instances ${tx(values)}
    ON CONFLICT (saga_id) DO UPDATE
      SET status = EXCLUDED.status, version = EXCLUDED.version,
          deadline = EXCLUDED.deadline, updated_at = now()
      WHERE saga_instances.version <= EXCLUDED.version`;
}
