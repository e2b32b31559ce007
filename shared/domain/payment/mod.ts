/**
 * The Payment aggregate: the charge of one order's total through the payment
 * gateway port, and its refund. Stream id: `paymentIdFor(orderId)`.
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  initialState,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";
export { paymentIdFor } from "../shared/ids.ts";

/** The aggregate type recorded with payment events. */
export const PAYMENT = "Payment";

/** The payment decider, for command handlers and specs. */
export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState | null> = {
  decide,
  evolve,
  initialState,
};
