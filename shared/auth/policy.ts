import { hasRole, type Principal, type Role } from "./principal.ts";

/**
 * Who may call an RPC (docs/security.md): `anonymous` anyone; `customer-own`
 * a signed-in caller, for their own orders only (the handler compares the
 * order's customer with the caller, see {@link actsFor}); `staff` and
 * `admin` those roles or stronger; `service` only a service identity (the
 * saga worker's token), never a user, whatever roles the user holds.
 */
export type Rule = "anonymous" | "customer-own" | "staff" | "admin" | "service";

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

const CATEGORY_QUERIES = [
  "GetCategory",
  "GetCategoryByName",
  "ListCategories",
  "SearchCategories",
  "ListCategoriesPaginated",
  "GetCategoryStatistics",
  "CategoryExists",
  "GetCategoriesByIds",
  "GetCategoryTree",
  "GetCategoryPath",
  "GetCategoryWithProducts",
];
const PRODUCT_QUERIES = [
  "GetProduct",
  "GetProductWithCategory",
  "GetProductByName",
  "ListProducts",
  "ListProductsWithCategories",
  "GetProductsByCategory",
  "SearchProducts",
  "GetProductsByPriceRange",
  "ListProductsSortedByPrice",
  "ListProductsPaginated",
  "GetProductsByIds",
  "GetProductsByCategoryIds",
  "SearchProductsAdvanced",
  "GetProductStatistics",
  "GetCategoryProductStatistics",
  "ProductExists",
];

function all(service: string, methods: string[], rule: Rule): [string, Rule][] {
  return methods.map((m) => [`${service}/${m}`, rule]);
}

/**
 * The access rule of every RPC, by `<proto service>/<Method>`: the one
 * table the command and query servers apply to each call. An RPC missing
 * here is refused (and a test fails), so none can be served by oversight.
 */
export const POLICY: Readonly<Record<string, Rule>> = Object.freeze(Object.fromEntries<Rule>([
  ["cqrs.command.v1.CategoryCommands/CreateCategory", "staff"],
  ["cqrs.command.v1.CategoryCommands/UpdateCategory", "staff"],
  ["cqrs.command.v1.CategoryCommands/DeleteCategory", "admin"],
  ["cqrs.command.v1.ProductCommands/CreateProduct", "staff"],
  ["cqrs.command.v1.ProductCommands/UpdateProduct", "staff"],
  ["cqrs.command.v1.ProductCommands/DeleteProduct", "admin"],
  ["cqrs.command.v1.ProductCommands/SetStock", "staff"],
  // Undoable, unlike a delete.
  ["cqrs.command.v1.ProductCommands/ArchiveProduct", "staff"],
  ["cqrs.command.v1.ProductCommands/RestoreProduct", "staff"],
  // customerId must be the caller's subject unless staff.
  ["cqrs.command.v1.OrderCommands/CreateOrder", "customer-own"],
  ["cqrs.command.v1.OrderCommands/CancelOrder", "customer-own"],
  ["cqrs.command.v1.OrderCommands/UpdateOrderStatus", "staff"],
  ["cqrs.command.v1.OrderCommands/StartOrderSaga", "customer-own"],
  // The saga's steps: they touch stock, money and deliveries without a user's order check.
  ["cqrs.command.v1.SagaStepCommands/ReserveInventory", "service"],
  ["cqrs.command.v1.SagaStepCommands/ReleaseInventory", "service"],
  ["cqrs.command.v1.SagaStepCommands/ProcessPayment", "service"],
  ["cqrs.command.v1.SagaStepCommands/RefundPayment", "service"],
  ["cqrs.command.v1.SagaStepCommands/ArrangeShipping", "service"],
  ["cqrs.command.v1.SagaStepCommands/CancelShipping", "service"],
  // The audit trail: every event's data and who caused it.
  ["cqrs.command.v1.EventLog/ListEvents", "admin"],
  // Time travel: one aggregate's history and its state at each version, for the console.
  ["cqrs.command.v1.EventLog/AggregateHistory", "staff"],
  ...all("cqrs.query.v1.CategoryQueries", CATEGORY_QUERIES, "anonymous"),
  ...all("cqrs.query.v1.ProductQueries", PRODUCT_QUERIES, "anonymous"),
  // Another customer's order reads as not found, so ids cannot be probed.
  ["cqrs.query.v1.OrderQueries/GetOrder", "customer-own"],
  ["cqrs.query.v1.OrderQueries/GetSagaState", "customer-own"],
  ["cqrs.query.v1.OrderQueries/GetOrdersByCustomer", "customer-own"],
  ["cqrs.query.v1.OrderQueries/ListOrders", "staff"],
  ["cqrs.query.v1.OrderQueries/GetOrdersByStatus", "staff"],
  // Business data, not catalogue data.
  ["cqrs.query.v1.OrderQueries/GetOrderStats", "staff"],
]));

/** The rule of `rpc` (`<proto service>/<Method>`), or undefined when the table has none. */
export function ruleOf(
  rpc: string,
  policy: Readonly<Record<string, Rule>> = POLICY,
): Rule | undefined {
  return Object.hasOwn(policy, rpc) ? policy[rpc] : undefined;
}

/**
 * Whether `principal` may act for the customer `customerId`: it is that
 * customer (its subject), or staff (who handle any customer's order).
 */
export function actsFor(principal: Principal | undefined, customerId: string): boolean {
  return hasRole(principal, "staff") ||
    (hasRole(principal, "customer") && principal?.subject === customerId);
}
