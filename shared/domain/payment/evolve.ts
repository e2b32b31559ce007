import { parseCents } from "../shared/money.ts";
import type { PaymentEvent, PaymentState } from "./types.ts";

/** Applies one event to an order's payment. */
export function evolve(state: PaymentState | null, event: PaymentEvent): PaymentState | null {
  const base: PaymentState = state ?? {
    paymentId: event.data.paymentId,
    orderId: event.data.orderId,
    status: "failed",
    amount: 0,
    transactionRef: null,
    version: 0,
  };
  const version = base.version + 1;
  switch (event.type) {
    case "PaymentProcessed":
      return {
        ...base,
        status: "processed",
        amount: parseCents(event.data.amount) ?? 0,
        transactionRef: event.data.transactionRef,
        version,
      };
    case "PaymentFailed":
      return { ...base, status: "failed", version };
    case "PaymentRefunded":
      return { ...base, status: "refunded", version };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
