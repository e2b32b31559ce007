import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { UnauthenticatedError } from "@shared/errors/mod.ts";
import { principalOf } from "./_claims.ts";
import type { Principal } from "./principal.ts";

/** The longest token lifetime accepted unless configured: one day. */
export const DEFAULT_MAX_LIFETIME_S = 24 * 60 * 60;

/** Algorithms of the keys a JWKS serves (RSA and P-256, as Keycloak, Auth0 and Entra use). */
export const JWKS_ALGORITHMS = ["RS256", "ES256"] as const;

/** How bearer tokens are checked. At least one of `secret` and `jwksUrl` is required. */
export interface VerifierOptions {
  /** HS256 tokens are verified with this shared secret. */
  secret?: string;
  /** RS256 and ES256 tokens are verified against the key set served here. */
  jwksUrl?: string;
  /** When set, tokens must carry this `iss`. */
  issuer?: string;
  /** When set, tokens must carry this `aud` (or hold it in an `aud` list). */
  audience?: string;
  /** The longest lifetime accepted: `exp - iat` (or `exp - now` without `iat`). Default 24 h. */
  maxLifetimeSeconds?: number;
  /** The claim holding the roles (dotted path); default `roles`, then Keycloak's `realm_access.roles`. */
  rolesClaim?: string;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`; default 30 s. */
  clockToleranceSeconds?: number;
  /** How long a fetched key set is used before it is fetched again; default 10 min. */
  jwksCacheMaxAgeSeconds?: number;
  /** The least time between two fetches caused by an unknown key id; default 30 s. */
  jwksCooldownSeconds?: number;
  /**
   * How many verified tokens are remembered, so that a client's next call
   * with the same token skips the signature check; default 1000, 0 for none.
   * Each is remembered at most a minute, and never past its `exp` or before
   * its `nbf`.
   */
  verifiedCacheSize?: number;
}

/** The longest a verified token is answered from memory: a key withdrawn stops it within this. */
const VERIFIED_TTL_MS = 60_000;

/** A token verified before, and until when its answer stands. */
interface Verified {
  principal: Principal;
  /** `exp` and `nbf`, in seconds. */
  exp: number;
  nbf: number | undefined;
  /** When it must be verified again, in ms. */
  until: number;
}

/** Verifies bearer tokens and turns their claims into a Principal. */
export interface TokenVerifier {
  /** The principal of a valid token; UnauthenticatedError (naming the rule) for any other. */
  verify(token: string): Promise<Principal>;
  /** Fetches the key set again now (after a rotation); a no-op without a JWKS. */
  refreshKeys(): Promise<void>;
}

/** A token refused for a reason a caller may read (never the token itself). */
function refused(reason: string, cause?: unknown): UnauthenticatedError {
  return new UnauthenticatedError(`Bearer token refused: ${reason}`, {}, { cause });
}

/** The reason jose gives, limited to jose's own wording (its messages hold no token data). */
function reasonOf(err: unknown): string {
  if (err instanceof UnauthenticatedError) {
    return err.message.replace(/^Bearer token refused: /, "");
  }
  const code = (err as { code?: unknown })?.code;
  if (code === "ERR_JWT_EXPIRED") return "it has expired";
  if (code === "ERR_JWKS_NO_MATCHING_KEY") return "no key of the key set matches it";
  if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return "its signature does not verify";
  if (code === "ERR_JOSE_ALG_NOT_ALLOWED") return "its algorithm is not allowed";
  if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC") {
    return "the key set is unavailable";
  }
  if (typeof code === "string" && err instanceof Error) return err.message;
  return "it could not be verified";
}

/**
 * Creates a verifier. HS256 is checked only with `secret`, RS256/ES256 only
 * against the JWKS, so a key of one kind can never verify a token of the
 * other (algorithm confusion), and `alg: none` is refused. `exp` is
 * required and the lifetime is capped.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  if (!options.secret && !options.jwksUrl) {
    throw new TypeError("A token verifier needs a secret or a JWKS URL");
  }
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: (options.jwksCacheMaxAgeSeconds ?? 600) * 1000,
      cooldownDuration: (options.jwksCooldownSeconds ?? 30) * 1000,
    })
    : undefined;
  const algorithms = [...(secret ? ["HS256"] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_S;
  const tolerance = options.clockToleranceSeconds ?? 30;

  const key: JWTVerifyGetKey = (header, token) => {
    if (header.alg === "HS256" && secret) return secret;
    if ((JWKS_ALGORITHMS as readonly string[]).includes(header.alg) && jwks) {
      return jwks(header, token);
    }
    throw refused(`algorithm "${String(header.alg).slice(0, 20)}" is not accepted`);
  };

  function checkLifetime(payload: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp!;
    if (payload.iat !== undefined && payload.iat > now + tolerance) {
      throw refused("it is issued in the future");
    }
    // A future `iat` inside the tolerance must not shorten the lifetime measured.
    const start = Math.min(payload.iat ?? now, now);
    if (exp - start > maxLifetime) {
      throw refused(`it is valid for longer than ${maxLifetime} s`);
    }
  }

  const cacheSize = options.verifiedCacheSize ?? 1000;
  const verified = new Map<string, Verified>();
  // Keyed by the whole token, signature included: only the very string verified before matches.
  const remembered = (token: string): Principal | undefined => {
    const hit = verified.get(token);
    if (!hit) return undefined;
    const now = Date.now();
    const seconds = now / 1000;
    // jose's own rules for exp and nbf, with the same tolerance.
    if (
      now > hit.until || hit.exp <= seconds - tolerance ||
      (hit.nbf !== undefined && hit.nbf > seconds + tolerance)
    ) {
      verified.delete(token);
      return undefined;
    }
    return hit.principal;
  };
  const remember = (token: string, payload: JWTPayload, principal: Principal) => {
    if (cacheSize <= 0) return;
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    Object.freeze(principal.roles);
    verified.set(token, {
      principal: Object.freeze(principal),
      exp: payload.exp!,
      nbf: payload.nbf,
      until: Date.now() + VERIFIED_TTL_MS,
    });
  };

  return {
    async verify(token) {
      const known = remembered(token);
      if (known) return known;
      try {
        // Read before verifying only to refuse `none` with a clear reason; nothing else is trusted.
        if (decodeProtectedHeader(token).alg === "none") throw refused("it is unsigned");
        const { payload, protectedHeader } = await jwtVerify(token, key, {
          algorithms,
          requiredClaims: ["exp"],
          clockTolerance: tolerance,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
        });
        checkLifetime(payload);
        // Only the services' own secret signs service identities; a key set's tokens are users'.
        const principal = principalOf(payload, options.rolesClaim, protectedHeader.alg === "HS256");
        remember(token, payload, principal);
        return principal;
      } catch (err) {
        throw refused(reasonOf(err), err);
      }
    },
    async refreshKeys() {
      verified.clear();
      await jwks?.reload();
    },
  };
}
