import { SignJWT } from "jose";
import type { Role } from "./principal.ts";

/**
 * The HS256 secret `deno task dev` uses when JWT_SECRET is not set.
 * Production mode refuses it (and every other weak secret).
 */
export const DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production";

/** Who a token is issued to. */
export interface TokenSubject {
  /** `sub`: a user id, or the name of a service (`saga`, `gateway`). */
  subject: string;
  roles: Role[];
  tenant?: string;
  /**
   * Signs a service identity's token (claim `service: true`): only such a
   * token passes the `service` rule of the access policy. Never for a user.
   */
  service?: boolean;
}

/** How a token is signed. */
export interface SignOptions {
  /** The HS256 secret the verifier holds. */
  secret: string;
  /** Seconds from now to `exp`; default 300 (a service token lives for one call or a few). */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

/**
 * Signs an HS256 token with `sub`, `roles`, `iat`, `exp` and a random `jti`,
 * for a service identity (a worker dispatching commands, the gateway
 * forwarding a call) or for operators and tests.
 */
export async function signServiceToken(who: TokenSubject, options: SignOptions): Promise<string> {
  const ttl = options.ttlSeconds ?? 300;
  if (!Number.isInteger(ttl) || ttl < 1) {
    throw new RangeError(`ttlSeconds must be a positive whole number, got ${ttl}`);
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    roles: who.roles,
    ...(who.tenant ? { tenant: who.tenant } : {}),
    ...(who.service ? { service: true } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(who.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(crypto.randomUUID());
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return await jwt.sign(new TextEncoder().encode(options.secret));
}
