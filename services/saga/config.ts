import { z } from "zod";
import { loadConfig, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import {
  CARRIER_MODES,
  httpCarrier,
  httpGateway,
  PAYMENT_MODES,
  simulatedCarrier,
  simulatedGateway,
} from "./adapters.ts";
import type { Carrier, PaymentGateway } from "../command/ports.ts";

const millis = (max: number) => z.coerce.number().int().min(1).max(max);
const share = z.coerce.number().min(0, "must be from 0 to 1").max(1, "must be from 0 to 1");
const delay = z.coerce.number().int().min(0).max(600_000);
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL");

/** The environment of the saga worker, validated at start. */
export const sagaConfigSchema = z.object({
  EVENT_STORE_URL: postgresUrlVar,
  /** /health and /metrics. */
  SAGA_HTTP_PORT: portVar.default(4101),
  SAGA_STEP_TIMEOUT_MS: millis(86_400_000).default(30_000),
  SAGA_TIMEOUT_MS: millis(604_800_000).default(300_000),
  SAGA_POLL_MS: millis(60_000).default(500),
  SAGA_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SAGA_TIMER_MS: millis(60_000).default(1000),
  SAGA_RETRY_MAX_MS: millis(3_600_000).default(30_000),
  SAGA_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /** An HTTP payment gateway (see httpGateway); when set, PAYMENT_MODE and the rest are unused. */
  PAYMENT_URL: httpUrl.optional(),
  PAYMENT_TIMEOUT_MS: millis(600_000).optional(),
  PAYMENT_MODE: z.enum(PAYMENT_MODES).default("succeed"),
  PAYMENT_FAIL_ABOVE: z.string().regex(
    /^\d{1,9}(\.\d{1,2})?$/,
    'must be a decimal amount such as "100.00"',
  ).optional(),
  PAYMENT_FAIL_SHARE: share.optional(),
  PAYMENT_DELAY_MS: delay.optional(),
  /** An HTTP carrier (see httpCarrier); when set, CARRIER_MODE and the rest are unused. */
  CARRIER_URL: httpUrl.optional(),
  CARRIER_TIMEOUT_MS: millis(600_000).optional(),
  CARRIER_MODE: z.enum(CARRIER_MODES).default("succeed"),
  CARRIER_FAIL_SHARE: share.optional(),
  CARRIER_DELAY_MS: delay.optional(),
}).superRefine((c, ctx) => {
  const need = (when: boolean, path: string, mode: string) => {
    if (when) ctx.addIssue({ code: "custom", path: [path], message: `is required by ${mode}` });
  };
  need(
    c.PAYMENT_MODE === "fail_above" && c.PAYMENT_FAIL_ABOVE === undefined,
    "PAYMENT_FAIL_ABOVE",
    "PAYMENT_MODE=fail_above",
  );
  need(
    c.PAYMENT_MODE === "fail_share" && c.PAYMENT_FAIL_SHARE === undefined,
    "PAYMENT_FAIL_SHARE",
    "PAYMENT_MODE=fail_share",
  );
  need(
    c.CARRIER_MODE === "fail_share" && c.CARRIER_FAIL_SHARE === undefined,
    "CARRIER_FAIL_SHARE",
    "CARRIER_MODE=fail_share",
  );
});

/** The saga worker's configuration. */
export type SagaConfig = z.infer<typeof sagaConfigSchema>;

/** Reads and validates the saga worker's environment; throws a ConfigError naming each bad variable. */
export function loadSagaConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): SagaConfig {
  return loadConfig(sagaConfigSchema, env);
}

/**
 * The payment gateway and carrier the configuration describes: over HTTP
 * when PAYMENT_URL / CARRIER_URL is set, else simulated in this process.
 */
export function adaptersOf(
  config: SagaConfig,
): { paymentGateway: PaymentGateway; carrier: Carrier } {
  return {
    paymentGateway: config.PAYMENT_URL
      ? httpGateway({ url: config.PAYMENT_URL, timeoutMs: config.PAYMENT_TIMEOUT_MS })
      : simulatedGateway({
        mode: config.PAYMENT_MODE,
        failAbove: config.PAYMENT_FAIL_ABOVE,
        failShare: config.PAYMENT_FAIL_SHARE,
        delayMs: config.PAYMENT_DELAY_MS,
      }),
    carrier: config.CARRIER_URL
      ? httpCarrier({ url: config.CARRIER_URL, timeoutMs: config.CARRIER_TIMEOUT_MS })
      : simulatedCarrier({
        mode: config.CARRIER_MODE,
        failShare: config.CARRIER_FAIL_SHARE,
        delayMs: config.CARRIER_DELAY_MS,
      }),
  };
}
