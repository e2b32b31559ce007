/**
 * Simulated adapters of the payment gateway and carrier ports, whose outcome
 * is configured (always succeed, always fail, fail above an amount, fail a
 * share of calls, answer after a delay), so every path of the order saga can
 * be exercised. Outcomes depend only on the request, never on chance: the
 * "share" is drawn from a hash of the idempotency key, so a retried call gets
 * the answer the first one got, as a real idempotent gateway would give.
 */
import type { Carrier, PaymentGateway } from "../command/ports.ts";
import { uuidV5 } from "@shared/domain/shared/ids.ts";
import { parseCents } from "@shared/domain/shared/money.ts";

/** How the simulated gateway answers a charge. */
export const PAYMENT_MODES = ["succeed", "fail", "fail_above", "fail_share", "delay"] as const;
/** See {@link PAYMENT_MODES}. */
export type PaymentMode = typeof PAYMENT_MODES[number];

/** How the simulated carrier answers a booking. */
export const CARRIER_MODES = ["succeed", "fail", "fail_share", "delay"] as const;
/** See {@link CARRIER_MODES}. */
export type CarrierMode = typeof CARRIER_MODES[number];

/** The delay of mode `delay` when none is set. */
export const DEFAULT_DELAY_MS = 1000;

/** Options of {@link simulatedGateway}. */
export interface SimulatedPaymentOptions {
  mode: PaymentMode;
  /** Mode `fail_above`: declines a charge of more than this decimal amount ("100.00"). */
  failAbove?: string | undefined;
  /** Mode `fail_share`: declines this share (0–1) of charges. */
  failShare?: number | undefined;
  /** Answers after this many milliseconds, in every mode (`delay`: default 1000). */
  delayMs?: number | undefined;
}

/** Options of {@link simulatedCarrier}. */
export interface SimulatedCarrierOptions {
  mode: CarrierMode;
  /** Mode `fail_share`: refuses this share (0–1) of bookings. */
  failShare?: number | undefined;
  /** Answers after this many milliseconds, in every mode (`delay`: default 1000). */
  delayMs?: number | undefined;
}

/** Calls a simulated adapter received, for tests and logs. */
export interface SimulatorStats {
  /** Charges or bookings asked for. */
  calls: number;
  /** Of those, declined or refused. */
  failures: number;
  /** Refunds or cancellations. */
  undone: number;
}

/** A simulated adapter with its call counters. */
export type Simulated<P> = P & { readonly stats: SimulatorStats };

const SHARE_NAMESPACE = "8e1f4c52-2b7d-4d0a-9a63-5c1e7b9f2d40";

/** Where an idempotency key falls in [0, 1): the same key always falls in the same place. */
export function shareOf(key: string): number {
  const hex = uuidV5(key, SHARE_NAMESPACE).replaceAll("-", "").slice(0, 8);
  return parseInt(hex, 16) / 0x1_0000_0000;
}

function delayOf(mode: string, delayMs: number | undefined): number {
  return delayMs ?? (mode === "delay" ? DEFAULT_DELAY_MS : 0);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** A payment gateway whose answers follow `options`; refunds always succeed. */
export function simulatedGateway(options: SimulatedPaymentOptions): Simulated<PaymentGateway> {
  const stats: SimulatorStats = { calls: 0, failures: 0, undone: 0 };
  const delay = delayOf(options.mode, options.delayMs);
  const limit = options.failAbove === undefined ? null : parseCents(options.failAbove);
  if (options.mode === "fail_above" && limit === null) {
    throw new RangeError(
      `Payment mode "fail_above" needs a decimal amount, got "${options.failAbove}"`,
    );
  }
  const declines = (amount: string, key: string): string | null => {
    switch (options.mode) {
      case "succeed":
      case "delay":
        return null;
      case "fail":
        return "Card declined (simulated gateway)";
      case "fail_above":
        return (parseCents(amount) ?? 0) > limit!
          ? `Amount ${amount} is above the limit of ${options.failAbove} (simulated gateway)`
          : null;
      case "fail_share":
        return shareOf(key) < (options.failShare ?? 0) ? "Card declined (simulated gateway)" : null;
      default: {
        const never: never = options.mode;
        throw new TypeError(`Unknown payment mode "${never}"`);
      }
    }
  };
  return {
    stats,
    async charge(request) {
      stats.calls++;
      await sleep(delay);
      const reason = declines(request.amount, request.idempotencyKey);
      if (reason) {
        stats.failures++;
        return { status: "declined", reason };
      }
      return { status: "approved", transactionRef: `sim-${request.idempotencyKey}` };
    },
    async refund() {
      stats.undone++;
      await sleep(delay);
    },
  };
}

/** A carrier whose answers follow `options`; cancellations always succeed. */
export function simulatedCarrier(options: SimulatedCarrierOptions): Simulated<Carrier> {
  const stats: SimulatorStats = { calls: 0, failures: 0, undone: 0 };
  const delay = delayOf(options.mode, options.delayMs);
  const refuses = (key: string): boolean =>
    options.mode === "fail" ||
    (options.mode === "fail_share" && shareOf(key) < (options.failShare ?? 0));
  return {
    stats,
    async book(request) {
      stats.calls++;
      await sleep(delay);
      if (refuses(request.idempotencyKey)) {
        stats.failures++;
        return { status: "failed", reason: "No carrier can deliver there (simulated carrier)" };
      }
      return {
        status: "arranged",
        carrier: "SimCarrier",
        trackingNumber: `SIM-${request.idempotencyKey.slice(0, 8).toUpperCase()}`,
      };
    },
    async cancel() {
      stats.undone++;
      await sleep(delay);
    },
  };
}
