/**
 * The roles a caller can hold, weakest first. Each role may do what the
 * roles before it may (see docs/security.md): a staff member can also do
 * what a customer can, an admin what staff can.
 */
export const ROLES = ["anonymous", "customer", "staff", "admin"] as const;

/** One of {@link ROLES}. */
export type Role = typeof ROLES[number];

/** Who is calling, taken only from a verified token's claims. */
export interface Principal {
  /** The token's `sub`: a user id, or a service's name for service tokens. */
  subject: string;
  /** The recognised roles the token grants, weakest first; never empty. */
  roles: Role[];
  /** The token's tenant (`tenant`, or Entra's `tid`), when it names one. */
  tenant?: string;
  /**
   * Set only for a service identity (the saga worker): a token the services'
   * own HS256 secret signed with the `service` claim. A key set's token (an
   * identity provider's user) never carries it, whatever its claims say.
   */
  service?: true;
}

/** The caller without a token: may read the catalogue and nothing else. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: "anonymous",
  roles: Object.freeze(["anonymous"]) as unknown as Role[],
});

const rank: Record<Role, number> = { anonymous: 0, customer: 1, staff: 2, admin: 3 };

/** Whether `principal` holds `role` or a stronger one; no principal is anonymous. */
export function hasRole(principal: Principal | undefined, role: Role): boolean {
  const held = principal?.roles ?? ANONYMOUS.roles;
  return held.some((r) => rank[r] >= rank[role]);
}

/** Whether `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && Object.hasOwn(rank, value);
}
