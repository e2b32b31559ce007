import assert from "node:assert/strict";
import { actsFor, allows, POLICY, ruleOf } from "./policy.ts";
import { ANONYMOUS } from "./principal.ts";

/** Every RPC declared in proto/, as `<package>.<Service>/<Method>`, read from the .proto text. */
function protoRpcs(): string[] {
  const rpcs: string[] = [];
  const walk = (dir: URL) => {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory) walk(new URL(`${entry.name}/`, dir));
      else if (entry.name.endsWith(".proto")) read(new URL(entry.name, dir));
    }
  };
  const read = (file: URL) => {
    const text = Deno.readTextFileSync(file).replace(/\/\/.*$/gm, "");
    const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
    for (const service of text.matchAll(/\bservice\s+(\w+)\s*\{([^}]*)\}/g)) {
      for (const method of service[2]!.matchAll(/\brpc\s+(\w+)\s*\(/g)) {
        rpcs.push(`${pkg}.${service[1]}/${method[1]}`);
      }
    }
  };
  walk(new URL("../../proto/", import.meta.url));
  return rpcs;
}

Deno.test("the access policy has a rule for every RPC in the protos, and no other", () => {
  const rpcs = protoRpcs();
  assert.ok(rpcs.length >= 45, `only ${rpcs.length} RPCs found`);
  const missing = rpcs.filter((rpc) => ruleOf(rpc) === undefined);
  assert.deepEqual(missing, [], "RPCs without an access rule");
  const stale = Object.keys(POLICY).filter((rpc) => !rpcs.includes(rpc));
  assert.deepEqual(stale, [], "rules for RPCs the protos do not declare");
});

Deno.test("the policy mirrors docs/security.md: writes need staff, deletes and the audit trail admin", () => {
  const rule = (rpc: string) => ruleOf(`cqrs.${rpc}`);
  assert.equal(rule("command.v1.CategoryCommands/CreateCategory"), "staff");
  assert.equal(rule("command.v1.ProductCommands/SetStock"), "staff");
  assert.equal(rule("command.v1.CategoryCommands/DeleteCategory"), "admin");
  assert.equal(rule("command.v1.ProductCommands/DeleteProduct"), "admin");
  assert.equal(rule("command.v1.EventLog/ListEvents"), "admin");
  assert.equal(rule("command.v1.OrderCommands/UpdateOrderStatus"), "staff");
  assert.equal(rule("command.v1.OrderCommands/CreateOrder"), "customer-own");
  assert.equal(rule("query.v1.OrderQueries/GetOrderStats"), "staff");
  assert.equal(rule("query.v1.ProductQueries/SearchProductsAdvanced"), "anonymous");
  // Prototype keys are not rules.
  assert.equal(ruleOf("toString"), undefined);
  assert.equal(ruleOf("__proto__"), undefined);
});

Deno.test("actsFor(): a customer acts only for themselves, staff for anyone, anonymous for nobody", () => {
  const alice = { subject: "alice", roles: ["customer" as const] };
  assert.ok(actsFor(alice, "alice"));
  assert.ok(!actsFor(alice, "bob"));
  assert.ok(actsFor({ subject: "s", roles: ["staff"] }, "bob"));
  assert.ok(!actsFor(ANONYMOUS, "anonymous"));
  assert.ok(!actsFor(undefined, "anonymous"));
});

Deno.test("the saga's step RPCs follow the service rule, which no user satisfies", () => {
  const steps = Object.keys(POLICY).filter((rpc) => rpc.includes(".SagaStepCommands/"));
  assert.equal(steps.length, 6);
  for (const rpc of steps) assert.equal(ruleOf(rpc), "service", rpc);
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
