import { DEVELOPMENT_SECRET, type Role, signServiceToken } from "@shared/auth/mod.ts";

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
