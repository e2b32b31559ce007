import type { SagaStateView } from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";

/** A `saga_states` row, as {@link SAGA_COLUMNS} selects it. */
export interface SagaRow {
  saga_id: string;
  order_id: string;
  status: string;
  completed_steps: string[];
  current_step: string | null;
  failure_reason: string | null;
  started_at: Date;
  completed_at: Date | null;
}

/** The columns of `saga_states` (aliased `s`) that a {@link SagaRow} holds. */
export const SAGA_COLUMNS = `s.saga_id, s.order_id, s.status, s.completed_steps,
  s.current_step, s.failure_reason, s.started_at, s.completed_at`;

/** The saga of an order; undefined when it has none (yet). */
export async function getSagaState(
  sql: Sql,
  orderId: string,
): Promise<SagaStateView | undefined> {
  const rows = await sql<SagaRow[]>`
    SELECT ${sql.unsafe(SAGA_COLUMNS)} FROM saga_states s WHERE s.order_id = ${orderId}`;
  return rows[0] && toSagaView(rows[0]);
}

/** Maps a row to its view: absent optional fields unset, times ISO 8601. */
export function toSagaView(r: SagaRow): SagaStateView {
  return {
    sagaId: r.saga_id,
    orderId: r.order_id,
    status: r.status,
    completedSteps: r.completed_steps,
    currentStep: r.current_step ?? undefined,
    failureReason: r.failure_reason ?? undefined,
    startedAt: r.started_at.toISOString(),
    completedAt: r.completed_at?.toISOString(),
  };
}
