import type { OrderSagaState } from "./types.ts";

/** A saga whose forward steps are running. */
export type Running = OrderSagaState & { status: "started" | "processing" };

/** Whether the saga's forward steps are running (started or processing). */
export function isRunning(state: OrderSagaState | null): state is Running {
  return state?.status === "started" || state?.status === "processing";
}

/** The ids every saga event carries. */
export function ids(state: OrderSagaState): { sagaId: string; orderId: string } {
  return { sagaId: state.sagaId, orderId: state.orderId };
}
