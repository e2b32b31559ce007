import { NotFoundError } from "@shared/errors/mod.ts";
import { type Cents, formatCents, parseCents } from "../shared/money.ts";
import { invalid, quote } from "../shared/rules.ts";
import type { PaymentCommand, PaymentEvent, PaymentState, ProcessPayment } from "./types.ts";

/** Whether the gateway may be called: nothing was charged, declined or refunded yet. */
export function canCharge(state: PaymentState | null): boolean {
  return state === null;
}

/**
 * What the gateway must be asked to charge for a ProcessPayment on this
 * state: its amount, checked and formatted; null when nothing may be charged
 * any more (see {@link canCharge}), so the gateway is not called.
 */
export function chargeDue(
  command: Pick<ProcessPayment, "amount">,
  state: PaymentState | null,
): { amount: string } | null {
  const amount = checkAmount(command.amount);
  return canCharge(state) ? { amount: formatCents(amount) } : null;
}

/**
 * What the gateway must refund for a RefundPayment on this state: what a
 * processed charge took; null when nothing was charged or it was refunded.
 */
export function refundDue(
  state: PaymentState | null,
): { amount: string; transactionRef: string | null } | null {
  return state?.status === "processed"
    ? { amount: formatCents(state.amount), transactionRef: state.transactionRef }
    : null;
}

function checkAmount(text: string): Cents {
  const amount = parseCents(text);
  if (amount === null || amount < 1) {
    throw invalid(
      "amount",
      `must be a decimal with at most 2 places of at least 0.01, got ${quote(text)}`,
    );
  }
  return amount;
}

/**
 * Decides which events a payment command produces. A payment is charged at
 * most once: a repeated ProcessPayment, or one after a refund, emits nothing.
 */
export function decide(command: PaymentCommand, state: PaymentState | null): PaymentEvent[] {
  switch (command.type) {
    case "ProcessPayment": {
      const amount = checkAmount(command.amount);
      if (!canCharge(state)) return [];
      const { paymentId, orderId, outcome, at } = command;
      return outcome.status === "approved"
        ? [{
          type: "PaymentProcessed",
          data: {
            paymentId,
            orderId,
            amount: formatCents(amount),
            transactionRef: outcome.transactionRef,
            processedAt: at,
          },
        }]
        : [{
          type: "PaymentFailed",
          data: {
            paymentId,
            orderId,
            amount: formatCents(amount),
            reason: outcome.reason,
            failedAt: at,
          },
        }];
    }
    case "RefundPayment": {
      if (state?.status === "refunded") return [];
      return [{
        type: "PaymentRefunded",
        data: {
          paymentId: command.paymentId,
          orderId: command.orderId,
          amount: formatCents(state?.status === "processed" ? state.amount : 0),
          refundedAt: command.at,
        },
      }];
    }
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}
