import assert from "node:assert/strict";
import type { z } from "zod";
import { ruleOf, RULES } from "@shared/auth/policy.ts";
import { accessRules, loadProto, protoMethodName, type ServiceContract } from "@shared/grpc/mod.ts";
import { protoFiles, protoText } from "@shared/grpc/proto_text.ts";
import { core, def } from "@shared/grpc/zod_shape.ts";
import { commandContracts, sagaStepCommands } from "./command/v1/contract.ts";
import { queryContracts } from "./query/v1/contract.ts";

const contracts: ServiceContract[] = [...commandContracts, ...queryContracts];

interface ProtoField {
  name: string;
  label: string;
  type: string;
  typeName: string;
  proto3Optional?: boolean;
}

interface MessageType {
  type: { field: ProtoField[] };
}

interface MethodDefinition {
  requestType: MessageType;
  responseType: MessageType;
}

const scalar: Record<string, string[]> = {
  TYPE_STRING: ["string", "enum"],
  TYPE_INT32: ["number"],
  TYPE_INT64: ["string", "number"],
  TYPE_BOOL: ["boolean"],
  TYPE_MESSAGE: ["object"],
};

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function checkMessage(
  file: string,
  pkg: string,
  message: MessageType,
  schema: z.ZodType,
  where: string,
  seen: Set<MessageType> = new Set(),
) {
  if (seen.has(message)) return; // a recursive message (a tree) was checked one level up
  seen = new Set([...seen, message]);
  const object = core(schema);
  assert.equal(def(object).type, "object", `${where} is a zod object`);
  const shape = (object as unknown as { shape: Record<string, z.ZodType> }).shape;
  const fields = message.type.field;
  assert.deepEqual(
    fields.map((f) => camel(f.name)).sort(),
    Object.keys(shape).sort(),
    `fields of ${where}`,
  );
  for (const field of fields) {
    const key = camel(field.name);
    const at = `${where}.${key}`;
    let zodField = core(shape[key]!);
    const optional = shape[key]!.safeParse(undefined).success;
    if (field.proto3Optional) assert.ok(optional, `${at} is optional in proto, so in the contract`);
    if (field.label === "LABEL_REPEATED") {
      assert.equal(def(zodField).type, "array", `${at} is repeated in proto`);
      zodField = core(def(zodField).element!);
    }
    const kinds = scalar[field.type];
    assert.ok(kinds, `${at} has a supported proto type (${field.type})`);
    const options = def(zodField).type === "union" ? def(zodField).options!.map(core) : [zodField];
    const matching = options.find((o) => kinds.includes(def(o).type));
    assert.ok(matching, `${at}: proto ${field.type} but zod ${def(zodField).type}`);
    zodField = matching;
    if (field.type === "TYPE_MESSAGE") {
      const types = loadProto(file);
      const name = field.typeName.replace(/^\./, "");
      const nested = (types[name] ?? types[`${pkg}.${name}`]) as unknown as MessageType;
      assert.ok(nested, `${at}: message ${field.typeName} is declared`);
      checkMessage(file, pkg, nested, zodField, at, seen);
    }
  }
}

Deno.test("every generated proto RPC has a contract and their fields and types agree", () => {
  for (const contract of contracts) {
    const definition = loadProto(contract.protoFile)[contract.service] as unknown as Record<
      string,
      MethodDefinition
    >;
    assert.ok(definition, `${contract.service} is declared in ${contract.protoFile}`);
    assert.deepEqual(
      Object.keys(definition).sort(),
      Object.keys(contract.methods).map(protoMethodName).sort(),
      `RPCs of ${contract.service}`,
    );
    for (const [key, method] of Object.entries(contract.methods)) {
      const rpc = definition[protoMethodName(key)]!;
      const where = `${contract.service}.${key}`;
      const pkg = contract.service.split(".").slice(0, -1).join(".");
      checkMessage(contract.protoFile, pkg, rpc.requestType, method.input, `${where} input`);
      checkMessage(contract.protoFile, pkg, rpc.responseType, method.output, `${where} output`);
    }
  }
});

/** Every RPC of the generated protos, as `<package>.<Service>/<Method>`, read from their text. */
function protoRpcs(): string[] {
  const rpcs: string[] = [];
  for (const path of protoFiles()) {
    const text = protoText(path).replace(/\/\/.*$/gm, "");
    const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
    for (const service of text.matchAll(/\bservice\s+(\w+)\s*\{([^}]*)\}/g)) {
      for (const method of service[2]!.matchAll(/\brpc\s+(\w+)\s*\(/g)) {
        rpcs.push(`${pkg}.${service[1]}/${method[1]}`);
      }
    }
  }
  return rpcs;
}

Deno.test("every RPC in the protos has a contract, and with it an access rule, and no other", () => {
  const rpcs = protoRpcs();
  assert.ok(rpcs.length >= 45, `only ${rpcs.length} RPCs found`);
  assert.deepEqual(Object.keys(accessRules(contracts)).sort(), rpcs.sort());
});

Deno.test("every contract RPC declares one of the known access rules", () => {
  for (const contract of contracts) {
    for (const [key, method] of Object.entries(contract.methods)) {
      const where = `${contract.service}/${protoMethodName(key)}`;
      assert.ok(RULES.includes(method.access), `${where} has the rule "${method.access}"`);
    }
  }
});

Deno.test("the access rules mirror docs/security.md: writes need staff, deletes and the audit trail admin", () => {
  const rules = accessRules(contracts);
  const rule = (rpc: string) => ruleOf(`cqrs.${rpc}`, rules);
  assert.equal(rule("command.v1.CategoryCommands/CreateCategory"), "staff");
  assert.equal(rule("command.v1.ProductCommands/CreateProduct"), "staff");
  assert.equal(rule("command.v1.ProductCommands/SetStock"), "staff");
  assert.equal(rule("command.v1.ProductCommands/ArchiveProduct"), "staff");
  assert.equal(rule("command.v1.CategoryCommands/DeleteCategory"), "admin");
  assert.equal(rule("command.v1.ProductCommands/DeleteProduct"), "admin");
  assert.equal(rule("command.v1.EventLog/ListEvents"), "admin");
  assert.equal(rule("command.v1.EventLog/AggregateHistory"), "staff");
  assert.equal(rule("command.v1.OrderCommands/UpdateOrderStatus"), "staff");
  assert.equal(rule("command.v1.OrderCommands/CreateOrder"), "customer-own");
  assert.equal(rule("query.v1.OrderQueries/GetOrder"), "customer-own");
  assert.equal(rule("query.v1.OrderQueries/ListOrders"), "staff");
  assert.equal(rule("query.v1.OrderQueries/GetOrderStats"), "staff");
  assert.equal(rule("query.v1.ProductQueries/SearchProductsAdvanced"), "anonymous");
  assert.equal(rule("query.v1.CategoryQueries/GetCategoryTree"), "anonymous");
});

Deno.test("the saga's step RPCs declare the service rule", () => {
  const steps = Object.values(sagaStepCommands.methods);
  assert.equal(steps.length, 6);
  for (const step of steps) assert.equal(step.access, "service");
});

Deno.test("accessRules() refuses an RPC declared by two contracts", () => {
  assert.throws(
    () => accessRules([...queryContracts, queryContracts[0]]),
    /Two contracts declare cqrs.query.v1.CategoryQueries\/GetCategory/,
  );
});
