import {
  assertStrongSecret,
  createTokenVerifier,
  DEVELOPMENT_SECRET,
  type Principal,
  type Role,
  signServiceToken,
  type VerifierOptions,
} from "@shared/auth/mod.ts";
import { ConfigError } from "@shared/config/mod.ts";
import { UnauthenticatedError } from "@shared/errors/mod.ts";

export { DEVELOPMENT_SECRET, type Principal };

/** How bearer tokens are checked: HS256 with `secret`, RS256/ES256 against `jwksUrl`. */
export type AuthOptions = VerifierOptions;

/** Who is calling: a verified principal, or undefined for an anonymous request. */
export type Authenticator = (request: Request) => Promise<Principal | undefined>;

/** Longer than any token a real identity provider issues; refused before any parsing. */
const MAX_TOKEN_CHARS = 8192;

/**
 * The gateway's authenticator. Without options, development mode verifies
 * HS256 tokens signed with the development secret (`deno task token`);
 * production mode needs a strong JWT_SECRET or a JWKS URL and refuses to
 * start otherwise.
 */
export function createAuthenticator(
  options: AuthOptions | undefined,
  production: boolean,
): Authenticator {
  if (production) {
    if (!options?.secret && !options?.jwksUrl) {
      throw new ConfigError("Production mode needs JWT_SECRET or JWT_JWKS_URL");
    }
    if (options.secret === DEVELOPMENT_SECRET) {
      throw new ConfigError("JWT_SECRET is the development secret: refused in production");
    }
    if (options.secret) assertStrongSecret("JWT_SECRET", options.secret);
  }
  const verifier = createTokenVerifier(
    options?.secret || options?.jwksUrl ? options : { ...options, secret: DEVELOPMENT_SECRET },
  );
  return async (request) => {
    const header = request.headers.get("authorization");
    if (header === null) return undefined;
    const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    if (match[1]!.length > MAX_TOKEN_CHARS) {
      throw new UnauthenticatedError(
        `Bearer token refused: it is longer than ${MAX_TOKEN_CHARS} characters`,
      );
    }
    return await verifier.verify(match[1]!);
  };
}

/**
 * A request carrying `authorization` as its Authorization header, for the
 * authenticator: how a WebSocket client's `connectionParams.authorization`
 * is checked by the same rules as an HTTP header. A value that is not a
 * string, or not a valid header value, is an UnauthenticatedError.
 */
export function bearerRequest(url: string, authorization: unknown): Request {
  if (typeof authorization !== "string" || !/^[\x20-\x7e]*$/.test(authorization)) {
    throw new UnauthenticatedError('connectionParams.authorization must be "Bearer <token>"');
  }
  return new Request(url, { headers: { authorization } });
}

/** Signs an HS256 token for `sub` with `roles`, valid for `ttlSeconds` (default 1 h): for operators, tests and benchmarks. */
export async function signToken(
  claims: { sub: string; roles: Role[] },
  options: { secret: string; ttlSeconds?: number; issuer?: string; audience?: string },
): Promise<string> {
  return await signServiceToken({ subject: claims.sub, roles: claims.roles }, {
    ttlSeconds: 3600,
    ...options,
  });
}
