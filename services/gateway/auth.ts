import { jwtVerify, SignJWT } from "jose";
import { UnauthenticatedError } from "@shared/errors/mod.ts";

/** Who is calling, from a verified bearer token. */
export interface Principal {
  userId: string;
  roles: string[];
}

/** How bearer tokens are checked: HS256 JWTs signed with `secret`. */
export interface AuthOptions {
  /** At least 32 characters. */
  secret: string;
  /** When set, tokens must carry this `iss`. */
  issuer?: string;
}

/**
 * The secret `deno task dev` uses when JWT_SECRET is not set. Production
 * mode refuses to start without a real one.
 */
export const DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production";

/**
 * Reads `Authorization: Bearer <jwt>`. No header: anonymous (undefined). A
 * header that is not a valid, unexpired token signed with the secret:
 * UnauthenticatedError, so a caller never runs with less than it thinks.
 */
export async function authenticate(
  request: Request,
  options: AuthOptions,
): Promise<Principal | undefined> {
  const header = request.headers.get("authorization");
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  try {
    const { payload } = await jwtVerify(match[1]!, new TextEncoder().encode(options.secret), {
      algorithms: ["HS256"],
      ...(options.issuer ? { issuer: options.issuer } : {}),
    });
    if (typeof payload.sub !== "string" || payload.sub.length === 0) {
      throw new Error("no subject");
    }
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is string => typeof r === "string")
      : [];
    return { userId: payload.sub, roles };
  } catch (err) {
    throw new UnauthenticatedError(
      `Bearer token refused: ${err instanceof Error ? err.message : "invalid"}`,
    );
  }
}

/** Signs a token for `sub` with `roles` (for operators and tests). */
export async function signToken(
  claims: { sub: string; roles: string[] },
  options: AuthOptions & { expiresIn?: string },
): Promise<string> {
  const jwt = new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h");
  if (options.issuer) jwt.setIssuer(options.issuer);
  return await jwt.sign(new TextEncoder().encode(options.secret));
}
