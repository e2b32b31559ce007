import {
  DEVELOPMENT_SECRET,
  type Role,
  SAGA_PRINCIPAL,
  signServiceToken,
} from "@shared/auth/mod.ts";
import type { CallOptions } from "@shared/grpc/contract.ts";

/**
 * An `authorization` header carrying a token for `subject` with `roles`,
 * signed with `secret` (default: the development secret a gateway without
 * JWT_SECRET verifies with). Identity reaches the services only this way.
 */
export async function bearer(
  subject: string,
  roles: Role[] = [],
  secret: string = DEVELOPMENT_SECRET,
): Promise<{ authorization: string }> {
  const token = await signServiceToken({ subject, roles }, { secret, ttlSeconds: 3600 });
  return { authorization: `Bearer ${token}` };
}

/**
 * An `authorization` header carrying the saga worker's service token (its
 * subject and roles, marked as a service identity), as the worker signs it,
 * for `tenant` when given.
 */
export async function sagaBearer(
  tenant?: string,
  secret: string = DEVELOPMENT_SECRET,
): Promise<{ authorization: string }> {
  const token = await signServiceToken({
    subject: SAGA_PRINCIPAL.subject,
    roles: [...SAGA_PRINCIPAL.roles],
    ...(tenant ? { tenant } : {}),
    service: true,
  }, { secret, ttlSeconds: 300 });
  return { authorization: `Bearer ${token}` };
}

/**
 * `client` with every call carrying `authorization` (a `Bearer …` value)
 * unless the call sets its own: a gRPC client that acts as one caller.
 */
export function actingAs<C extends { close(): void }>(client: C, authorization: string): C {
  const wrapped: Record<string, unknown> = { close: () => client.close() };
  for (const [key, call] of Object.entries(client) as [string, unknown][]) {
    if (key === "close" || typeof call !== "function") continue;
    wrapped[key] = (input: unknown, options: CallOptions = {}) =>
      (call as (i: unknown, o: CallOptions) => unknown)(input, {
        ...options,
        metadata: { authorization, ...options.metadata },
      });
  }
  return wrapped as C;
}
