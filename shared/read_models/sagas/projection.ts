import { evolve } from "@shared/domain/order_saga/evolve.ts";
import type { OrderSagaEvent, OrderSagaState } from "@shared/domain/order_saga/types.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import type { TxSql } from "@shared/db/connect.ts";
import { records } from "../common/sql.ts";

/** The saga events that {@link applySagaEvents} folds into `saga_states`. */
export const SAGA_EVENTS: ReadonlySet<string> = new Set<string>([
  "SagaStarted",
  "SagaStepCompleted",
  "SagaFailed",
  "SagaCompensationStarted",
  "SagaStepCompensated",
  "SagaCompensated",
  "SagaCompleted",
]);

interface Folded {
  state: OrderSagaState | null;
  /** Version of the saga's stream last applied. */
  version: number;
}

/**
 * Where each order's saga stands, in `saga_states`. A saga's state is the
 * domain's own fold (`evolve`) of its events, so the read model and the saga
 * runner agree on what "current step" and "completed steps" mean. Per batch:
 * one read of the sagas it touches, a fold in memory, one write. It is part
 * of the orders projection, not a projection of its own: an order and its
 * saga are read together, and must be as of one position (one checkpoint).
 */
export async function applySagaEvents(tx: TxSql, events: readonly RecordedEvent[]): Promise<void> {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    if (!SAGA_EVENTS.has(event.type)) continue;
    const list = byStream.get(event.aggregateId) ?? [];
    list.push(event);
    byStream.set(event.aggregateId, list);
  }
  if (byStream.size === 0) return;
  const stored = await tx<{ saga_id: string; state: OrderSagaState; version: number }[]>`
      SELECT saga_id, state, version FROM saga_states
      WHERE saga_id = ANY(${[...byStream.keys()]}::uuid[])`;
  const folded = new Map<string, Folded>(
    stored.map((r) => [r.saga_id, { state: r.state, version: r.version }]),
  );
  const changed = new Map<string, Folded>();
  for (const [sagaId, list] of byStream) {
    let current: Folded = folded.get(sagaId) ?? { state: null, version: 0 };
    for (const event of list) {
      // Already applied (a replayed batch): skip, so applying twice changes nothing.
      if (event.version <= current.version) continue;
      const next = evolve(current.state, event as unknown as OrderSagaEvent);
      current = { state: next, version: event.version };
      if (next) changed.set(sagaId, current);
    }
  }
  if (changed.size === 0) return;
  const rows = [...changed.values()].map(({ state, version }) => ({
    saga_id: state!.sagaId,
    order_id: state!.orderId,
    status: state!.status,
    completed_steps: state!.completedSteps,
    current_step: state!.currentStep,
    failure_reason: state!.failureReason,
    started_at: state!.startedAt,
    completed_at: state!.completedAt,
    state,
    version,
  }));
  await tx`
      INSERT INTO saga_states (saga_id, order_id, status, completed_steps, current_step,
        failure_reason, started_at, completed_at, state, version)
      SELECT * FROM jsonb_to_recordset(${records(tx, rows)}) AS x(saga_id uuid, order_id uuid,
        status text, completed_steps text[], current_step text, failure_reason text,
        started_at timestamptz, completed_at timestamptz, state jsonb, version int)
      ON CONFLICT (saga_id) DO UPDATE SET
        status = EXCLUDED.status, completed_steps = EXCLUDED.completed_steps,
        current_step = EXCLUDED.current_step, failure_reason = EXCLUDED.failure_reason,
        completed_at = EXCLUDED.completed_at, state = EXCLUDED.state, version = EXCLUDED.version
      WHERE saga_states.version < EXCLUDED.version`;
}
