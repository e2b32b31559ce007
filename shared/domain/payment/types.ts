import type { Cents } from "../shared/money.ts";

/** What the payment gateway answered (the gateway is a port; the handler calls it). */
export type PaymentOutcome =
  | { status: "approved"; transactionRef: string }
  | { status: "declined"; reason: string };

/**
 * Charges an order's total. `amount` is a decimal string ("55.00").
 *
 * The handler asks the gateway for the charge `chargeDue` names (none once
 * {@link canCharge} no longer holds), passing the command id as the
 * gateway's idempotency key, and gives its answer as `outcome`.
 */
export type ProcessPayment = {
  type: "ProcessPayment";
  paymentId: string;
  orderId: string;
  amount: string;
  outcome: PaymentOutcome;
  at: string;
};

/** Refunds an order's payment; idempotent. */
export type RefundPayment = {
  type: "RefundPayment";
  paymentId: string;
  orderId: string;
  at: string;
};

/** Payment commands. Stream id: `paymentIdFor(orderId)`. */
export type PaymentCommand = ProcessPayment | RefundPayment;

/** The gateway charged the order. */
export type PaymentProcessed = {
  type: "PaymentProcessed";
  data: {
    paymentId: string;
    orderId: string;
    amount: string;
    transactionRef: string;
    processedAt: string;
  };
};

/** The gateway declined the charge. */
export type PaymentFailed = {
  type: "PaymentFailed";
  data: { paymentId: string; orderId: string; amount: string; reason: string; failedAt: string };
};

/**
 * The payment was refunded. `amount` "0.00" means nothing had been charged:
 * the refund still closes the payment, so a late charge is not made.
 */
export type PaymentRefunded = {
  type: "PaymentRefunded";
  data: { paymentId: string; orderId: string; amount: string; refundedAt: string };
};

/** Payment events. */
export type PaymentEvent = PaymentProcessed | PaymentFailed | PaymentRefunded;

/** Where a payment stands. */
export type PaymentStatus = "processed" | "failed" | "refunded";

/** The payment of one order. */
export interface PaymentState {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  /** The amount charged (0 when nothing was). */
  amount: Cents;
  transactionRef: string | null;
  version: number;
}

/** The state before any event. */
export const initialState: PaymentState | null = null;
