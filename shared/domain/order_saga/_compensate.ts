import { quote } from "../shared/rules.ts";
import { currentPhase, pendingCommands } from "./_commands.ts";
import { ids, isRunning } from "./_state.ts";
import {
  type Compensation,
  type OrderSagaEvent,
  type OrderSagaState,
  SAGA_STEPS,
  type SagaStep,
} from "./types.ts";

/**
 * The compensations of a running saga, in reverse step order: its completed
 * steps, plus the step in flight when its command may still take effect
 * (undoing what never happened is a harmless no-op that also blocks a late effect).
 */
function plan(
  state: OrderSagaState,
  options: { inFlight: boolean; exclude?: string[] },
): Compensation[] {
  const steps = new Set<SagaStep>(state.completedSteps);
  if (options.inFlight && state.currentStep) steps.add(state.currentStep);
  const compensations: Compensation[] = [];
  for (const step of [...SAGA_STEPS].reverse()) {
    if (!steps.has(step)) continue;
    if (step === "reserve_inventory") {
      for (const { productId } of state.order.items) {
        if (!options.exclude?.includes(productId)) compensations.push({ step, productId });
      }
    } else if (step !== "confirm_order") {
      compensations.push({ step, productId: null });
    }
  }
  return compensations;
}

function compensation(
  state: OrderSagaState,
  reason: string,
  at: string,
  compensations: Compensation[],
  cancelOrder: boolean,
): OrderSagaEvent[] {
  const events: OrderSagaEvent[] = [{
    type: "SagaCompensationStarted",
    data: { ...ids(state), reason, compensations, cancelOrder, startedAt: at },
  }];
  if (compensations.length === 0 && !cancelOrder) {
    events.push({ type: "SagaCompensated", data: { ...ids(state), compensatedAt: at } });
  }
  return events;
}

/** SagaFailed, then the compensation of a running saga; it cancels the order at the end. */
export function fail(
  state: OrderSagaState,
  reason: string,
  at: string,
  options: { inFlight: boolean; exclude?: string[] },
): OrderSagaEvent[] {
  return [
    { type: "SagaFailed", data: { ...ids(state), step: state.currentStep, reason, failedAt: at } },
    ...compensation(state, reason, at, plan(state, options), true),
  ];
}

/** The order was cancelled: compensate a running or completed saga, or finish compensating. */
export function onOrderCancelled(
  state: OrderSagaState | null,
  reason: string | null,
  at: string,
): OrderSagaEvent[] {
  if (!state) return [];
  const why = `The order was cancelled${reason ? `: ${reason}` : ""}`;
  if (isRunning(state)) {
    return compensation(state, why, at, plan(state, { inFlight: true }), false);
  }
  if (state.status === "completed") {
    return compensation(state, why, at, plan(state, { inFlight: false }), false);
  }
  if (state.status === "compensating" && state.pendingCompensations.length === 0) {
    return [{ type: "SagaCompensated", data: { ...ids(state), compensatedAt: at } }];
  }
  // Still compensating: the saga's own CancelOrder will be refused and reported.
  return [];
}

/** An aggregate confirmed a compensation of the current phase. */
export function acknowledge(
  state: OrderSagaState | null,
  done: Compensation,
  at: string,
): OrderSagaEvent[] {
  if (state?.status !== "compensating") return [];
  const matches = currentPhase(state).some((c) =>
    c.step === done.step && c.productId === done.productId
  );
  if (!matches) return [];
  const events: OrderSagaEvent[] = [{
    type: "SagaStepCompensated",
    data: { ...ids(state), step: done.step, productId: done.productId, compensatedAt: at },
  }];
  if (state.pendingCompensations.length === 1 && !state.cancelOrder) {
    events.push({ type: "SagaCompensated", data: { ...ids(state), compensatedAt: at } });
  }
  return events;
}

/** A timer tick: fail the saga when its step or itself is past its deadline. */
export function onTimeout(state: OrderSagaState | null, at: string): OrderSagaEvent[] {
  if (!isRunning(state)) return [];
  const now = Date.parse(at);
  if (now >= Date.parse(state.startedAt) + state.sagaTimeoutMs) {
    return fail(state, `The saga timed out after ${state.sagaTimeoutMs} ms`, at, {
      inFlight: true,
    });
  }
  if (now >= Date.parse(state.stepStartedAt) + state.stepTimeoutMs) {
    return fail(
      state,
      `Step ${quote(state.currentStep)} timed out after ${state.stepTimeoutMs} ms`,
      at,
      { inFlight: true },
    );
  }
  return [];
}

/** A command the saga sent was refused. */
export function onRejected(
  state: OrderSagaState | null,
  commandId: string,
  reason: string,
  at: string,
): OrderSagaEvent[] {
  const rejected = pendingCommands(state).find((c) => c.commandId === commandId);
  if (!state || !rejected) return [];
  const { command } = rejected;
  const why = `Command ${quote(command.type)} was refused: ${reason}`;
  if (isRunning(state)) {
    // A refused command took no effect; other reservations may still be in flight.
    return command.type === "ReserveInventory"
      ? fail(state, why, at, { inFlight: true, exclude: [command.productId] })
      : fail(state, why, at, { inFlight: false });
  }
  if (command.type === "CancelOrder") {
    // Refused because the order is already cancelled (or can no longer be): nothing is left to do.
    return [{ type: "SagaCompensated", data: { ...ids(state), compensatedAt: at } }];
  }
  // Compensations refuse only when there is nothing to undo: count this one as done.
  const step: Compensation = command.type === "ReleaseInventory"
    ? { step: "reserve_inventory", productId: command.productId }
    : command.type === "RefundPayment"
    ? { step: "process_payment", productId: null }
    : { step: "arrange_shipping", productId: null };
  return acknowledge(state, step, at);
}
