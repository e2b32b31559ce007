import type { Sql } from "@shared/db/connect.ts";

/** The state of an order's saga as the query service returns it (the contract's SagaStateView). */
export interface SagaStateView {
  sagaId: string;
  orderId: string;
  status: string;
  completedSteps: string[];
  currentStep?: string | undefined;
  failureReason?: string | undefined;
  startedAt: string;
  completedAt?: string | undefined;
}

interface SagaRow {
  saga_id: string;
  order_id: string;
  status: string;
  completed_steps: string[];
  current_step: string | null;
  failure_reason: string | null;
  started_at: Date;
  completed_at: Date | null;
}

/** The saga of an order; undefined when it has none (yet). */
export async function getSagaState(
  sql: Sql,
  orderId: string,
): Promise<SagaStateView | undefined> {
  const rows = await sql<SagaRow[]>`
    SELECT saga_id, order_id, status, completed_steps, current_step, failure_reason,
      started_at, completed_at
    FROM saga_states WHERE order_id = ${orderId}`;
  const r = rows[0];
  return r && {
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
