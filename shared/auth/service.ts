import type { Principal } from "./principal.ts";

/**
 * The saga worker's own identity (docs/security.md): it moves orders of any
 * customer through payment and shipping, so it acts as staff, and the
 * events it causes name it, never the customer whose order it moves. When
 * it calls a service over gRPC it signs a short-lived token for it with
 * `signServiceToken`.
 */
export const SAGA_PRINCIPAL: Principal = Object.freeze({
  subject: "saga",
  roles: Object.freeze(["staff"]) as unknown as Principal["roles"],
});

/**
 * The audit fields of an event caused by `principal`: its subject, roles
 * and tenant. An anonymous caller names no user.
 */
export function auditOf(
  principal: Principal | undefined,
): { userId?: string; roles?: string[]; tenantId?: string } {
  if (!principal || principal.roles.includes("anonymous")) return {};
  return {
    userId: principal.subject,
    roles: [...principal.roles],
    ...(principal.tenant ? { tenantId: principal.tenant } : {}),
  };
}
