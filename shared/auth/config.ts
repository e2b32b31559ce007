import { z } from "zod";
import type { VerifierOptions } from "./verify.ts";

/**
 * The token settings every service that verifies bearer tokens reads (the
 * gateway, the command and query services), so all of them hold callers to
 * the same rules.
 */
const authSchema = z.object({
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_MAX_LIFETIME_S: z.coerce.number().int().min(60).max(30 * 86_400).default(86_400),
  JWT_ROLES_CLAIM: z.string().min(1).max(200).optional(),
});

/** The token settings' fields, to spread into a service's config schema. */
export const authVars = authSchema.shape;

/** The parsed {@link authVars}. */
export type AuthConfig = z.output<typeof authSchema>;

/**
 * The verifier options of parsed settings. Without JWT_SECRET and
 * JWT_JWKS_URL it names neither, and the service falls back to the
 * development secret (which the gateway refuses in production).
 */
export function verifierOptionsOf(config: AuthConfig): VerifierOptions {
  return {
    ...(config.JWT_SECRET ? { secret: config.JWT_SECRET } : {}),
    ...(config.JWT_JWKS_URL ? { jwksUrl: config.JWT_JWKS_URL } : {}),
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    ...(config.JWT_ROLES_CLAIM ? { rolesClaim: config.JWT_ROLES_CLAIM } : {}),
    maxLifetimeSeconds: config.JWT_MAX_LIFETIME_S,
  };
}
