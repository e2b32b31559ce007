/**
 * Adapters of the payment gateway and carrier ports.
 *
 * The simulated ones (the default, for development) answer as configured
 * (always succeed, always fail, fail above an amount, fail a share of calls,
 * answer after a delay), so every path of the order saga can be exercised.
 * Outcomes depend only on the request, never on chance: the "share" is drawn
 * from a hash of the idempotency key, so a retried call gets the answer the
 * first one got, as a real idempotent gateway would give.
 *
 * The HTTP ones call an outside service (see {@link httpGateway}), which
 * keeps its own record of charges and bookings: that record outlives a
 * crash of the command service, as a real gateway's does.
 */
import { parseJson } from "@shared/runtime/json.ts";
import { z } from "zod";
import type { Carrier, PaymentGateway } from "./ports.ts";
import { uuidV5 } from "@shared/domain/shared/ids.ts";
import { parseCents } from "@shared/domain/shared/money.ts";
import { UnavailableError } from "@shared/errors/mod.ts";

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

/** Options of {@link httpGateway} and {@link httpCarrier}. */
export interface HttpAdapterOptions {
  /** Base URL of the outside service, e.g. `http://payments.internal:8080/v1`. */
  url: string;
  /** Gives up on a call after this many ms (the saga retries it); default 10 000. */
  timeoutMs?: number | undefined;
}

/** The default of {@link HttpAdapterOptions.timeoutMs}. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** Longest answer body read from an outside service. */
const MAX_ANSWER_CHARS = 64 * 1024;

const paymentOutcome = z.discriminatedUnion("status", [
  z.object({ status: z.literal("approved"), transactionRef: z.string().min(1).max(200) }),
  z.object({ status: z.literal("declined"), reason: z.string().min(1).max(1000) }),
]);

const shippingOutcome = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("arranged"),
    carrier: z.string().min(1).max(200),
    trackingNumber: z.string().min(1).max(200),
  }),
  z.object({ status: z.literal("failed"), reason: z.string().min(1).max(1000) }),
]);

/**
 * Posts `body` as JSON to `path` under `base`, with the idempotency key also
 * in an `Idempotency-Key` header; returns the answer's text. Anything but a
 * 2xx answer within the timeout is an UnavailableError: the saga retries the
 * step under the same key, which the service must answer as it did the first
 * time.
 */
async function post(
  service: string,
  base: URL,
  path: string,
  body: { idempotencyKey: string },
  timeoutMs: number,
): Promise<string> {
  const target = new URL(path, base);
  const unavailable = (why: string, cause?: unknown) =>
    new UnavailableError(`The ${service} at ${target.href} ${why}`, { service }, { cause });
  let text: string;
  let status: number;
  try {
    const res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": body.idempotencyKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw unavailable(
      `did not answer within ${timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  if (status < 200 || status > 299) {
    throw unavailable(`answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
  if (text.length > MAX_ANSWER_CHARS) {
    throw unavailable(`answered more than ${MAX_ANSWER_CHARS} characters`);
  }
  return text;
}

/** Parses an outcome the service answered; an answer of another shape is an UnavailableError. */
function outcomeOf<T>(service: string, schema: z.ZodType<T>, text: string): T {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UnavailableError(
      `The ${service} answered something that is not an outcome: ${text.slice(0, 200)}`,
      { service },
    );
  }
  return parsed.data;
}

/** The base URL with a trailing slash, so paths resolve below it; throws a RangeError when it is not http(s). */
function baseOf(url: string): URL {
  let base: URL;
  try {
    base = new URL(url.endsWith("/") ? url : `${url}/`);
  } catch {
    throw new RangeError(`"${url}" is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new RangeError(`"${url}" is not an http(s) URL`);
  }
  return base;
}

/**
 * A payment gateway reached over HTTP: `POST charges` with a ChargeRequest
 * answers a PaymentOutcome (`{"status":"approved","transactionRef":…}` or
 * `{"status":"declined","reason":…}`); `POST refunds` with a RefundRequest
 * answers any 2xx. The service must charge or refund once per idempotency
 * key, answering a repeated key as it did the first time.
 */
export function httpGateway(options: HttpAdapterOptions): PaymentGateway {
  const base = baseOf(options.url);
  const timeout = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const service = "payment gateway";
  return {
    async charge(request) {
      const text = await post(service, base, "charges", request, timeout);
      return outcomeOf(service, paymentOutcome, text);
    },
    async refund(request) {
      await post(service, base, "refunds", request, timeout);
    },
  };
}

/**
 * A carrier reached over HTTP: `POST bookings` with a BookingRequest answers
 * a ShippingOutcome (`{"status":"arranged","carrier":…,"trackingNumber":…}`
 * or `{"status":"failed","reason":…}`); `POST cancellations` with a
 * CancelBookingRequest answers any 2xx. Once per idempotency key, as for
 * {@link httpGateway}.
 */
export function httpCarrier(options: HttpAdapterOptions): Carrier {
  const base = baseOf(options.url);
  const timeout = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const service = "carrier";
  return {
    async book(request) {
      const text = await post(service, base, "bookings", request, timeout);
      return outcomeOf(service, shippingOutcome, text);
    },
    async cancel(request) {
      await post(service, base, "cancellations", request, timeout);
    },
  };
}
