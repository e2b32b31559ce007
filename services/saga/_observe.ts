import { auditOf, SAGA_PRINCIPAL } from "@shared/auth/mod.ts";
import {
  evolve,
  type OrderSagaEvent,
  type OrderSagaState,
  SAGA_STEPS,
} from "@shared/domain/order_saga/mod.ts";
import type { EventMetadata, RecordedEvent } from "@shared/event_store/mod.ts";
import {
  countSaga,
  injectTraceparent,
  recordSagaStep,
  zeroSagaMetrics,
} from "@shared/observability/mod.ts";

// Every series the saga counts exists from the start, at zero.
zeroSagaMetrics("order", SAGA_STEPS);

/** Folds the recorded saga events, counting transitions and step durations. */
export function observe(
  state: OrderSagaState | null,
  events: OrderSagaEvent[],
): OrderSagaState | null {
  let current = state;
  for (const event of events) {
    switch (event.type) {
      case "SagaStarted":
        countSaga("order", "started");
        break;
      case "SagaStepCompleted":
        if (event.data.productId === null && current) {
          const ms = Date.parse(event.data.completedAt) - Date.parse(current.stepStartedAt);
          recordSagaStep(event.data.step, Math.max(0, ms) / 1000);
        }
        break;
      case "SagaFailed":
        countSaga("order", "failed");
        break;
      case "SagaCompensated":
        countSaga("order", "compensated");
        break;
      case "SagaCompleted":
        countSaga("order", "completed");
        break;
      default:
        break;
    }
    current = evolve(current, event);
  }
  return current;
}

/**
 * The audit trail of what the saga records and sends: the cause's
 * correlation, tenant and trace, and the saga's own identity as the user
 * (it acts as itself, never in the name of the customer whose order it moves).
 */
export function metadataOf(orderId: string, event: RecordedEvent | undefined): EventMetadata {
  const cause = event?.metadata ?? {};
  const metadata: EventMetadata = {
    correlationId: typeof cause.correlationId === "string" ? cause.correlationId : orderId,
    causationId: event?.eventId,
    tenantId: cause.tenantId,
    ...auditOf(SAGA_PRINCIPAL),
    traceparent: injectTraceparent() ?? cause.traceparent,
  };
  return Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined));
}
