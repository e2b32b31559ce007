import { hasRole, type Principal, type Role } from "./principal.ts";

/** Every access rule: the role rules weakest first, then `service`, which no role satisfies. */
export const RULES = ["anonymous", "customer-own", "staff", "admin", "service"] as const;

/**
 * Who may call an RPC (docs/security.md): `anonymous` anyone; `customer-own`
 * a signed-in caller, for their own orders only (the handler compares the
 * order's customer with the caller, see {@link actsFor}); `staff` and
 * `admin` those roles or stronger; `service` only a service identity (the
 * saga worker's token), never a user, whatever roles the user holds.
 */
export type Rule = typeof RULES[number];

/** The rules that a role satisfies. */
export type RoleRule = Exclude<Rule, "service">;

/** The weakest role a role rule lets through; ownership is checked on top of `customer`. */
export const RULE_ROLE: Readonly<Record<RoleRule, Role>> = {
  anonymous: "anonymous",
  "customer-own": "customer",
  staff: "staff",
  admin: "admin",
};

/**
 * Whether `principal` satisfies `rule`: the rule's role or a stronger one,
 * or for `service`, a verified service identity. Anything else is refused.
 */
export function allows(rule: Rule, principal: Principal | undefined): boolean {
  if (rule === "service") return principal?.service === true;
  return Object.hasOwn(RULE_ROLE, rule) && hasRole(principal, RULE_ROLE[rule]);
}

/**
 * The rule of `rpc` (`<proto service>/<Method>`) in `rules`, or undefined
 * when it has none. Each RPC's rule is declared in its contract (`rpc()` in
 * shared/grpc/contract.ts); `accessRules()` there builds a server's table.
 */
export function ruleOf(rpc: string, rules: Readonly<Record<string, Rule>>): Rule | undefined {
  return Object.hasOwn(rules, rpc) ? rules[rpc] : undefined;
}

/**
 * Whether `principal` may act for the customer `customerId`: it is that
 * customer (its subject), or staff (who handle any customer's order).
 */
export function actsFor(principal: Principal | undefined, customerId: string): boolean {
  return hasRole(principal, "staff") ||
    (hasRole(principal, "customer") && principal?.subject === customerId);
}
