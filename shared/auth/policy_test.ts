import assert from "node:assert/strict";
import { actsFor, allows, ruleOf } from "./policy.ts";
import { ANONYMOUS } from "./principal.ts";

Deno.test("ruleOf() reads a table's own entries only: prototype keys are not rules", () => {
  const rules = { "cqrs.query.v1.OrderQueries/GetOrder": "customer-own" } as const;
  assert.equal(ruleOf("cqrs.query.v1.OrderQueries/GetOrder", rules), "customer-own");
  assert.equal(ruleOf("cqrs.query.v1.OrderQueries/ListOrders", rules), undefined);
  assert.equal(ruleOf("toString", rules), undefined);
  assert.equal(ruleOf("__proto__", rules), undefined);
});

Deno.test("allows(): a role rule lets that role and stronger ones through, nobody weaker", () => {
  const customer = { subject: "alice", roles: ["customer" as const] };
  const staff = { subject: "bob", roles: ["staff" as const] };
  const admin = { subject: "root", roles: ["admin" as const] };
  assert.ok(allows("anonymous", ANONYMOUS) && allows("anonymous", undefined));
  assert.ok(!allows("customer-own", ANONYMOUS) && allows("customer-own", customer));
  assert.ok(!allows("staff", customer) && allows("staff", staff) && allows("staff", admin));
  assert.ok(!allows("admin", staff) && allows("admin", admin));
});

Deno.test("actsFor(): a customer acts only for themselves, staff for anyone, anonymous for nobody", () => {
  const alice = { subject: "alice", roles: ["customer" as const] };
  assert.ok(actsFor(alice, "alice"));
  assert.ok(!actsFor(alice, "bob"));
  assert.ok(actsFor({ subject: "s", roles: ["staff"] }, "bob"));
  assert.ok(!actsFor(ANONYMOUS, "anonymous"));
  assert.ok(!actsFor(undefined, "anonymous"));
});

Deno.test("the service rule is satisfied by a service identity only, never by a user", () => {
  const admin = { subject: "root", roles: ["admin" as const] };
  const saga = { subject: "saga", roles: ["staff" as const], service: true as const };
  assert.ok(!allows("service", admin), "an admin is not a service");
  assert.ok(!allows("service", { subject: "saga", roles: ["staff"] }), "nor a user named saga");
  assert.ok(!allows("service", ANONYMOUS));
  assert.ok(!allows("service", undefined));
  assert.ok(allows("service", saga));
  // A service identity holds its roles as well: the saga may confirm and cancel orders.
  assert.ok(allows("staff", saga) && !allows("admin", saga));
});
