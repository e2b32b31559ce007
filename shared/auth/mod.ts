/**
 * Authentication shared by the gateway and the gRPC services: verifying
 * bearer tokens (HS256 or a JWKS), the Principal they yield, signing
 * service tokens, and the strength rule for production secrets.
 */
export { ANONYMOUS, hasRole, isRole, type Principal, type Role, ROLES } from "./principal.ts";
export { actsFor, allows, type RoleRule, type Rule, RULE_ROLE, ruleOf, RULES } from "./policy.ts";
export { auditOf, SAGA_PRINCIPAL } from "./service.ts";
export {
  assertStrongSecret,
  MIN_SECRET_BITS,
  MIN_SECRET_BYTES,
  secretWeakness,
  WeakSecretError,
} from "./secret.ts";
export {
  DEVELOPMENT_SECRET,
  type SignOptions,
  signServiceToken,
  type TokenSubject,
} from "./sign.ts";
export {
  createTokenVerifier,
  DEFAULT_MAX_LIFETIME_S,
  JWKS_ALGORITHMS,
  type TokenVerifier,
  type VerifierOptions,
} from "./verify.ts";
