import type { JWTPayload } from "jose";
import { UnauthenticatedError } from "@shared/errors/mod.ts";
import { isRole, type Principal, ROLES } from "./principal.ts";

/** Printable, no spaces or controls: the subject and tenant travel as gRPC metadata. */
const identifier = /^[\x21-\x7e]{1,256}$/;

/** The claim named `path`, or else the one it reaches as a dotted path (`realm_access.roles`). */
function at(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The principal of verified claims. Unknown roles are dropped; a token with
 * no recognised role is a customer's (a signed-in shopper), never anonymous
 * and never more. `service: true` makes it a service identity only when
 * `trustService` says the key that verified it is the services' own secret.
 */
export function principalOf(
  payload: JWTPayload,
  rolesClaim?: string,
  trustService = false,
): Principal {
  const subject = payload.sub;
  if (typeof subject !== "string" || !identifier.test(subject)) {
    throw new UnauthenticatedError(
      "Bearer token refused: its sub must be 1 to 256 printable characters",
    );
  }
  const paths = rolesClaim ? [rolesClaim] : ["roles", "realm_access.roles"];
  const claimed = paths.map((p) => at(payload, p)).find(Array.isArray) as unknown[] | undefined;
  const held = new Set((claimed ?? []).filter(isRole));
  held.delete("anonymous");
  const roles = ROLES.filter((r) => held.has(r));
  const principal: Principal = { subject, roles: roles.length ? roles : ["customer"] };
  const tenant = [payload.tenant, payload.tid].find((t) => typeof t === "string");
  if (typeof tenant === "string" && identifier.test(tenant)) principal.tenant = tenant;
  if (trustService && payload.service === true) principal.service = true;
  return principal;
}
