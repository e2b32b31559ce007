import { z } from "zod";
import { authVars } from "@shared/auth/config.ts";
import { loadConfig, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { checkServerTls, grpcTlsVars } from "@shared/grpc/tls.ts";
import {
  CARRIER_MODES,
  httpCarrier,
  httpGateway,
  PAYMENT_MODES,
  simulatedCarrier,
  simulatedGateway,
} from "./adapters.ts";
import { DEFAULT_STATE_CACHE_EVENTS } from "./deps.ts";
import type { Carrier, PaymentGateway } from "./ports.ts";

const ms = z.coerce.number().int().min(1).max(86_400_000);
const millis = (max: number) => z.coerce.number().int().min(1).max(max);
const share = z.coerce.number().min(0, "must be from 0 to 1").max(1, "must be from 0 to 1");
const delay = z.coerce.number().int().min(0).max(600_000);
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL");

/**
 * The environment of the command service, validated at start. The payment
 * gateway and carrier settings are read here: the saga's step RPCs, served
 * by this service, are what charge and book.
 */
export const commandConfigSchema = z.object({
  // The same token settings as the gateway: this service verifies its callers' tokens itself.
  ...authVars,
  EVENT_STORE_URL: postgresUrlVar,
  COMMAND_PORT: portVar.default(50051),
  COMMAND_HOST: z.string().default("127.0.0.1"),
  COMMAND_METRICS_PORT: portVar.default(9464),
  EVENT_STORE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Aggregate states kept in memory, bounded by the events folded into them; 0 keeps none. */
  STATE_CACHE_EVENTS: z.coerce.number().int().min(0).max(100_000_000)
    .default(DEFAULT_STATE_CACHE_EVENTS),
  SAGA_STEP_TIMEOUT_MS: ms.default(30_000),
  SAGA_TIMEOUT_MS: ms.default(300_000),
  ...grpcTlsVars,
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
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  checkServerTls(c, issue);
  const need = (when: boolean, path: string, mode: string) => {
    if (when) issue(path, `is required by ${mode}`);
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

/** The command service's configuration. */
export type CommandConfig = z.infer<typeof commandConfigSchema>;

/** Reads and validates the command service's environment; throws a ConfigError naming each bad variable. */
export function loadCommandConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): CommandConfig {
  return loadConfig(commandConfigSchema, env);
}

/** The payment and carrier settings {@link adaptersOf} reads. */
export type OutsideConfig = Pick<
  CommandConfig,
  | "PAYMENT_URL"
  | "PAYMENT_TIMEOUT_MS"
  | "PAYMENT_MODE"
  | "PAYMENT_FAIL_ABOVE"
  | "PAYMENT_FAIL_SHARE"
  | "PAYMENT_DELAY_MS"
  | "CARRIER_URL"
  | "CARRIER_TIMEOUT_MS"
  | "CARRIER_MODE"
  | "CARRIER_FAIL_SHARE"
  | "CARRIER_DELAY_MS"
>;

/**
 * The payment gateway and carrier the configuration describes: over HTTP
 * when PAYMENT_URL / CARRIER_URL is set, else simulated in this process.
 */
export function adaptersOf(
  config: OutsideConfig,
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
