import { type OrderSagaEvent, type OrderSagaState, SAGA_STEPS } from "./types.ts";

/** Applies one event to a saga's state. */
export function evolve(state: OrderSagaState | null, event: OrderSagaEvent): OrderSagaState | null {
  if (event.type === "SagaStarted") {
    const d = event.data;
    return {
      sagaId: d.sagaId,
      orderId: d.orderId,
      status: "started",
      order: d.order,
      currentStep: "reserve_inventory",
      completedSteps: [],
      reservedProductIds: [],
      pendingCompensations: [],
      cancelOrder: false,
      failedStep: null,
      failureReason: null,
      stepTimeoutMs: d.stepTimeoutMs,
      sagaTimeoutMs: d.sagaTimeoutMs,
      startedAt: d.startedAt,
      stepStartedAt: d.startedAt,
      completedAt: null,
      version: 1,
    };
  }
  if (!state) return state;
  const version = state.version + 1;
  switch (event.type) {
    case "SagaStepCompleted": {
      const { step, productId, completedAt } = event.data;
      if (productId !== null) {
        return {
          ...state,
          status: "processing",
          reservedProductIds: [...state.reservedProductIds, productId],
          version,
        };
      }
      return {
        ...state,
        status: "processing",
        completedSteps: [...state.completedSteps, step],
        currentStep: SAGA_STEPS[SAGA_STEPS.indexOf(step) + 1] ?? null,
        stepStartedAt: completedAt,
        version,
      };
    }
    case "SagaFailed":
      return {
        ...state,
        status: "failed",
        failedStep: event.data.step,
        failureReason: event.data.reason,
        version,
      };
    case "SagaCompensationStarted": {
      const pending = event.data.compensations;
      return {
        ...state,
        status: "compensating",
        pendingCompensations: pending,
        cancelOrder: event.data.cancelOrder,
        currentStep: pending[0]?.step ?? null,
        failureReason: state.failureReason ?? event.data.reason,
        version,
      };
    }
    case "SagaStepCompensated": {
      const { step, productId } = event.data;
      const pending = state.pendingCompensations.filter((c) =>
        c.step !== step || c.productId !== productId
      );
      return {
        ...state,
        pendingCompensations: pending,
        currentStep: pending[0]?.step ?? null,
        version,
      };
    }
    case "SagaCompensated":
      return {
        ...state,
        status: "compensated",
        currentStep: null,
        pendingCompensations: [],
        completedAt: event.data.compensatedAt,
        version,
      };
    case "SagaCompleted":
      return {
        ...state,
        status: "completed",
        currentStep: null,
        completedAt: event.data.completedAt,
        version,
      };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
