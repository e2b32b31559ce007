import { pipelinedTransaction } from "@shared/db/transaction.ts";
import { checkpointTable } from "@shared/consumer/mod.ts";
import type { Sql, TxSql } from "@shared/db/connect.ts";
import { nextDeadline, type OrderSagaState } from "@shared/domain/order_saga/mod.ts";

/** The worker's name: its checkpoint's in `saga_checkpoints`, and its lease's. */
export const CHECKPOINT = "order_saga";

/**
 * The saga worker's checkpoint, beside the events and `saga_instances`: a
 * batch's rows and the checkpoint past it commit in one transaction.
 */
export const SAGA_CHECKPOINTS = checkpointTable("saga_checkpoints", "name");

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

/** Records sagas decided outside a batch (timeouts, refused commands, resume). */
export async function saveInstances(sql: Sql, rows: InstanceRow[]): Promise<void> {
  if (rows.length > 0) await pipelinedTransaction(sql, (tx) => upsertInstances(tx, rows));
}

/** The sagas last known unfinished: the ones to resume. */
export async function unfinishedSagas(sql: Sql): Promise<{ sagaId: string; orderId: string }[]> {
  return await sql<{ sagaId: string; orderId: string }[]>`
    SELECT saga_id::text AS "sagaId", order_id::text AS "orderId" FROM saga_instances
    WHERE status NOT IN ('completed', 'compensated') ORDER BY deadline NULLS LAST`;
}

/** Records sagas' rows in the caller's transaction; a row never moves back a version. */
export async function upsertInstances(tx: TxSql, rows: InstanceRow[]): Promise<void> {
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
  // One JSON parameter, not five per row: a statement takes at most 65,535 parameters, and
  // resuming more than 13,107 sagas at once went past it (the statement never came back).
  await tx`
    INSERT INTO saga_instances (saga_id, order_id, status, version, deadline)
    SELECT saga_id, order_id, status, version, deadline
    FROM jsonb_to_recordset(${tx.json(values as never)})
      AS x(saga_id uuid, order_id uuid, status text, version int, deadline timestamptz)
    ORDER BY saga_id
    ON CONFLICT (saga_id) DO UPDATE
      SET status = EXCLUDED.status, version = EXCLUDED.version,
          deadline = EXCLUDED.deadline, updated_at = now()
      WHERE saga_instances.version <= EXCLUDED.version`;
}
