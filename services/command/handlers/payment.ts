import { sagaStepCommands } from "@proto/command/v1/contract.ts";
import { rpcOf } from "@shared/application/command.ts";
import * as payment from "@shared/domain/payment/mod.ts";
import { payments } from "@shared/application/aggregates.ts";
import { defineCommand } from "../deps.ts";

/** What ProcessPayment needs; `paymentId` defaults to `paymentIdFor(orderId)`. */
export interface ProcessPaymentInput {
  orderId: string;
  /** Decimal string, e.g. "55.00". */
  amount: string;
  paymentId?: string | undefined;
}

/** What RefundPayment needs; `paymentId` defaults to `paymentIdFor(orderId)`. */
export interface RefundPaymentInput {
  orderId: string;
  paymentId?: string | undefined;
}

const paymentOf = (input: { orderId: string; paymentId?: string | undefined }) =>
  input.paymentId ?? payment.paymentIdFor(input.orderId);

/**
 * ProcessPayment, for the saga: PaymentProcessed or PaymentFailed, on the
 * stream `paymentIdFor(orderId)`. The gateway is asked for the charge the
 * domain says is due (none once anything was charged, declined or refunded),
 * with the command id as its idempotency key: a retry after a crash between
 * the charge and the append charges once.
 */
export const processPaymentCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "processPayment"),
  step: true,
  aggregate: payments,
  stream: (input: ProcessPaymentInput) => paymentOf(input),
  load: async (input, { deps, envelope, streamId, self }) => {
    const due = payment.chargeDue(input, (await self).state);
    return due && await deps.paymentGateway.charge({
      paymentId: streamId,
      orderId: input.orderId,
      amount: due.amount,
      idempotencyKey: envelope.commandId,
    });
  },
  decide: (input, { state, with: outcome }, envelope) =>
    outcome
      ? payment.decide({
        type: "ProcessPayment",
        paymentId: paymentOf(input),
        orderId: input.orderId,
        amount: input.amount,
        outcome,
        at: envelope.at,
      }, state)
      : [],
});

/**
 * RefundPayment, the saga's compensation of a charge: PaymentRefunded (with
 * amount "0.00" when nothing was charged, which also blocks a late charge).
 * The gateway refunds only what was charged; refunding twice emits once.
 */
export const refundPaymentCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "refundPayment"),
  step: true,
  aggregate: payments,
  stream: (input: RefundPaymentInput) => paymentOf(input),
  load: async (input, { deps, envelope, streamId, self }) => {
    const due = payment.refundDue((await self).state);
    if (due) {
      await deps.paymentGateway.refund({
        paymentId: streamId,
        orderId: input.orderId,
        ...due,
        idempotencyKey: envelope.commandId,
      });
    }
  },
  decide: (input, { state }, envelope) =>
    payment.decide(
      {
        type: "RefundPayment",
        paymentId: paymentOf(input),
        orderId: input.orderId,
        at: envelope.at,
      },
      state,
    ),
});
