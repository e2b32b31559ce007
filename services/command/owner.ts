import { actsFor, type Principal } from "@shared/auth/mod.ts";
import { ForbiddenError } from "@shared/errors/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";

/**
 * Refuses, before anything is written, a caller that may not act for
 * `customerId`: only that customer (the token's subject) or staff may.
 * `action` completes "Cannot … customer "x"".
 */
export function requireOwner(actor: Principal, customerId: string, action: string): void {
  if (actsFor(actor, customerId)) return;
  throw new ForbiddenError(
    `Cannot ${action} customer ${quote(customerId)}: a customer may act only for themselves`,
    { field: "customerId" },
  );
}
