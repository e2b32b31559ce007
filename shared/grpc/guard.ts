import {
  ANONYMOUS,
  createTokenVerifier,
  DEVELOPMENT_SECRET,
  type Principal,
  type VerifierOptions,
} from "@shared/auth/mod.ts";
import { allows, RULE_ROLE, ruleOf } from "@shared/auth/policy.ts";
import { ForbiddenError, UnauthenticatedError } from "@shared/errors/mod.ts";
import { accessRules, type ServiceContract } from "./contract.ts";

/** Longer than any token a real identity provider issues; refused before any parsing. */
const MAX_TOKEN_CHARS = 8192;

/**
 * The check every call to a gRPC server passes before its handler runs:
 * who the caller is (only a verified bearer token says so) and whether the
 * RPC's access rule, declared in its contract, lets that caller call it.
 */
export interface CallGuard {
  /**
   * Those of `rpcs` (`<proto service>/<Method>`) that have no rule, being
   * in none of the guard's contracts: a server refuses to start with any.
   */
  uncovered(rpcs: readonly string[]): string[];
  /**
   * The verified caller of `rpc`, given the call's `authorization` metadata
   * values: ANONYMOUS without one. UnauthenticatedError for a token that is
   * not valid; ForbiddenError when the caller lacks the rule's role or the
   * RPC is in none of the guard's contracts.
   */
  authorize(rpc: string, authorization: readonly unknown[]): Promise<Principal>;
}

/** Options of {@link createCallGuard}. */
export interface CallGuardOptions {
  /** How tokens are checked; without a secret or key set, the development secret. */
  auth?: VerifierOptions;
}

function describe(principal: Principal): string {
  return principal === ANONYMOUS || principal.roles.includes("anonymous")
    ? "the caller has no token"
    : `"${principal.subject}" holds ${principal.roles.join(", ")}`;
}

/**
 * The guard of the command and query services, applying the access rules
 * of the contracts they serve. They verify the caller's token themselves,
 * with the gateway's settings (JWT_SECRET or JWT_JWKS_URL, JWT_ISSUER,
 * JWT_AUDIENCE, JWT_MAX_LIFETIME_S), so a caller that reaches their port
 * directly is held to the same rules as one behind the gateway.
 */
export function createCallGuard(
  contracts: readonly ServiceContract[],
  options: CallGuardOptions = {},
): CallGuard {
  const auth = options.auth ?? {};
  const verifier = createTokenVerifier(
    auth.secret || auth.jwksUrl ? auth : { ...auth, secret: DEVELOPMENT_SECRET },
  );
  const rules = accessRules(contracts);

  async function principalOf(values: readonly unknown[]): Promise<Principal> {
    if (values.length === 0) return ANONYMOUS;
    const [value] = values;
    if (values.length > 1 || typeof value !== "string") {
      throw new UnauthenticatedError('authorization metadata must be one "Bearer <token>"');
    }
    const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(value);
    if (!match) throw new UnauthenticatedError('authorization metadata must be "Bearer <token>"');
    if (match[1]!.length > MAX_TOKEN_CHARS) {
      throw new UnauthenticatedError(
        `Bearer token refused: it is longer than ${MAX_TOKEN_CHARS} characters`,
      );
    }
    return await verifier.verify(match[1]!);
  }

  return {
    uncovered: (rpcs) => rpcs.filter((rpc) => ruleOf(rpc, rules) === undefined),
    async authorize(rpc, authorization) {
      const principal = await principalOf(authorization);
      const rule = ruleOf(rpc, rules);
      const method = rpc.slice(rpc.lastIndexOf("/") + 1);
      if (rule === undefined) {
        throw new ForbiddenError(`Cannot call "${method}": it has no access rule`);
      }
      if (allows(rule, principal)) return principal;
      const needs = rule === "service"
        ? "a service identity (users may not call it, whatever their role)"
        : `the ${RULE_ROLE[rule]} role`;
      throw new ForbiddenError(
        `Cannot call "${method}": it needs ${needs}, and ${describe(principal)}`,
      );
    },
  };
}
