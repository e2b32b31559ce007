import * as payment from "@shared/domain/payment/mod.ts";
import type { PaymentOutcome } from "@shared/domain/payment/mod.ts";
import { formatCents } from "@shared/domain/shared/money.ts";
import { load, payments } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type InternalCommandOptions, internalEnvelope } from "../envelope.ts";
import { runCommand } from "../run.ts";

/** What ProcessPayment needs; `paymentId` defaults to `paymentIdFor(orderId)`. */
export interface ProcessPaymentInput {
  orderId: string;
  /** Decimal string, e.g. "55.00". */
  amount: string;
  paymentId?: string | undefined;
}

/** Stands in for the gateway's answer while the decider only validates. */
const NOT_CALLED: PaymentOutcome = { status: "declined", reason: "The gateway was not called" };

/**
 * ProcessPayment, for the saga: PaymentProcessed or PaymentFailed, on the
 * stream `paymentIdFor(orderId)`. The gateway is called only when the
 * decider would record its answer (nothing charged, declined or refunded
 * yet), with the command id as its idempotency key: a retry after a crash
 * between the charge and the append charges once.
 */
export async function processPayment(
  deps: CommandDeps,
  input: ProcessPaymentInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  const paymentId = input.paymentId ?? payment.paymentIdFor(input.orderId);
  return await runCommand(deps, envelope, {
    primaryId: paymentId,
    attempt: async () => {
      const current = await load(deps.store, payments, paymentId);
      const decideWith = (outcome: PaymentOutcome) =>
        payment.decide({
          type: "ProcessPayment",
          paymentId,
          orderId: input.orderId,
          amount: input.amount,
          outcome,
          at: envelope.at,
        }, current.state);
      const planned = decideWith(NOT_CALLED);
      const events = planned.length === 0 ? [] : decideWith(
        await deps.paymentGateway.charge({
          paymentId,
          orderId: input.orderId,
          amount: (planned[0] as payment.PaymentFailed).data.amount,
          idempotencyKey: envelope.commandId,
        }),
      );
      return await commit(deps.store, [{
        streamId: paymentId,
        aggregateType: payments.type,
        events,
        loadedVersion: current.version,
      }], { envelope });
    },
  });
}

/** What RefundPayment needs; `paymentId` defaults to `paymentIdFor(orderId)`. */
export interface RefundPaymentInput {
  orderId: string;
  paymentId?: string | undefined;
}

/**
 * RefundPayment, the saga's compensation of a charge: PaymentRefunded (with
 * amount "0.00" when nothing was charged, which also blocks a late charge).
 * The gateway refunds only what was charged; refunding twice emits once.
 */
export async function refundPayment(
  deps: CommandDeps,
  input: RefundPaymentInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  const paymentId = input.paymentId ?? payment.paymentIdFor(input.orderId);
  return await runCommand(deps, envelope, {
    primaryId: paymentId,
    attempt: async () => {
      const current = await load(deps.store, payments, paymentId);
      const state = current.state;
      const events = payment.decide(
        { type: "RefundPayment", paymentId, orderId: input.orderId, at: envelope.at },
        state,
      );
      if (events.length > 0 && state?.status === "processed") {
        await deps.paymentGateway.refund({
          paymentId,
          orderId: input.orderId,
          amount: formatCents(state.amount),
          transactionRef: state.transactionRef,
          idempotencyKey: envelope.commandId,
        });
      }
      return await commit(deps.store, [{
        streamId: paymentId,
        aggregateType: payments.type,
        events,
        loadedVersion: current.version,
      }], { envelope });
    },
  });
}
