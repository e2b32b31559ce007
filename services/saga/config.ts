import { z } from "zod";
import { authVars } from "@shared/auth/config.ts";
import { addressVar, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { checkClientTls, grpcTlsVars } from "@shared/grpc/tls.ts";

const millis = (max: number) => z.coerce.number().int().min(1).max(max);

/**
 * The environment of the saga worker, validated at start. It reaches the
 * command service as the gateway does (COMMAND_SERVICE_ADDRESS, the GRPC_TLS_*
 * client settings) and signs its service tokens with the token settings the
 * command service verifies with (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE).
 */
export const sagaConfigSchema = z.object({
  ...authVars,
  ...grpcTlsVars,
  EVENT_STORE_URL: postgresUrlVar,
  COMMAND_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50051"),
  /** Deadline of one command call; a step may wait on the payment gateway or the carrier. */
  GRPC_COMMAND_DEADLINE_MS: millis(600_000).default(30_000),
  /** /health and /metrics. */
  SAGA_HTTP_PORT: portVar.default(4101),
  SAGA_STEP_TIMEOUT_MS: millis(86_400_000).default(30_000),
  SAGA_TIMEOUT_MS: millis(604_800_000).default(300_000),
  SAGA_POLL_MS: millis(60_000).default(500),
  SAGA_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SAGA_TIMER_MS: millis(60_000).default(1000),
  SAGA_RETRY_MAX_MS: millis(3_600_000).default(30_000),
  SAGA_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /** Step commands sent to the command service at once; the others wait their turn. */
  SAGA_COMMANDS_AT_ONCE: z.coerce.number().int().min(1).max(1000).default(32),
}).superRefine((c, ctx) => {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  checkClientTls(c, issue);
  if (c.JWT_JWKS_URL && !c.JWT_SECRET) {
    issue(
      "JWT_SECRET",
      "is required with JWT_JWKS_URL: the saga signs its service token with the secret the " +
        "command service also verifies with (a key set only verifies)",
    );
  }
});

/** The saga worker's configuration. */
export type SagaConfig = z.infer<typeof sagaConfigSchema>;
