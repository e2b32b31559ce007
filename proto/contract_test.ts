import assert from "node:assert/strict";
import type { z } from "zod";
import { categoryCommands } from "./command/v1/contract.ts";
import { categoryQueries } from "./query/v1/contract.ts";
import { loadProto, protoMethodName, type ServiceContract } from "@shared/grpc/mod.ts";

const contracts: ServiceContract[] = [categoryCommands, categoryQueries];

interface ProtoField {
  name: string;
  label: string;
  type: string;
  typeName: string;
  proto3Optional?: boolean;
}

interface MethodDefinition {
  originalName: string;
  requestType: { type: { field: ProtoField[] } };
  responseType: { type: { field: ProtoField[] } };
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  assert.ok(shape, "contract schemas must be zod objects");
  return shape;
}

function assertSameFields(proto: ProtoField[], schema: z.ZodType, where: string) {
  const shape = shapeOf(schema);
  const protoNames = proto.map((f) => camel(f.name)).sort();
  assert.deepEqual(protoNames, Object.keys(shape).sort(), `fields of ${where}`);
  for (const field of proto) {
    const key = camel(field.name);
    const zodField = shape[key]!;
    const optionalInZod = zodField.safeParse(undefined).success;
    if (field.label === "LABEL_REPEATED") {
      assert.ok(zodField.safeParse([]).success, `${where}.${key} is repeated in proto`);
    } else if (field.proto3Optional) {
      assert.ok(optionalInZod, `${where}.${key} is optional in proto, so in the contract`);
    }
  }
}

Deno.test("every proto RPC has a contract and their fields agree", () => {
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
      assertSameFields(
        rpc.requestType.type.field,
        method.input,
        `${contract.service}.${key} input`,
      );
      assertSameFields(
        rpc.responseType.type.field,
        method.output,
        `${contract.service}.${key} output`,
      );
    }
  }
});
