import { hasRole, type Principal, type Role } from "@shared/auth/mod.ts";
import { ForbiddenError, UnauthenticatedError } from "@shared/errors/mod.ts";
import type { Context } from "../context.ts";

/**
 * The caller, when they hold `role` or a stronger one: otherwise
 * UNAUTHENTICATED without a token, FORBIDDEN with one. `what` names the
 * operation in the message.
 */
export function requireRole(ctx: Context, role: Role, what: string): Principal {
  if (!ctx.principal) {
    throw new UnauthenticatedError(
      `${what} needs a signed-in ${role}: send Authorization: Bearer <token>`,
    );
  }
  if (!hasRole(ctx.principal, role)) {
    throw new ForbiddenError(
      `User "${ctx.principal.subject}" may not use ${what}: it needs the ${role} role`,
    );
  }
  return ctx.principal;
}
