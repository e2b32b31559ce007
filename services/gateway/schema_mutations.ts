/**
 * The GraphQL mutations, generated from the command contracts: one per
 * command a client may send (every RPC whose access is not `service`), named
 * as the RPC, taking `input: <Rpc>Input!` shaped as the RPC's input, and
 * returning the type of the query view the command answers with (its
 * contract's `answers`), or `Boolean!` when it answers with none. The
 * resolvers are generated from the same contracts (resolvers/mutations.ts).
 *
 * Input fields: a UUID is `ID`, a text or an enum `String`, a whole number
 * `Int`, another number `Float`, a number-or-string `String`, a flag
 * `Boolean`, an object an input type (named after its message, with `Input`
 * appended, or after its field), an array a list; a field the contract lets
 * a caller leave out is nullable. Descriptions come from the contracts: an
 * RPC's `doc`, a field's `.describe()`.
 */
import type { z } from "zod";
import { uuid } from "@shared/domain/shared/fields.ts";
import { protoMethodName, type ServiceContract } from "@shared/grpc/contract.ts";
import { messageName } from "@shared/grpc/proto_text.ts";
import { core, def, isOptional, shapeOf, wraps } from "@shared/grpc/zod_shape.ts";
import { described, scalarType, sdlField } from "./schema_types.ts";

/** Writes input types once each, by name. */
class Inputs {
  readonly types = new Map<string, string>();

  /** The GraphQL input type of a field (non-null unless it may be left out). */
  fieldType(field: z.ZodType, key: string, at: string): string {
    const type = this.namedType(field, key, at);
    return isOptional(field) ? type : `${type}!`;
  }

  private namedType(field: z.ZodType, key: string, at: string): string {
    if (wraps(field, uuid)) return "ID";
    const inner = core(field);
    const d = def(inner);
    const scalar = scalarType(inner);
    if (scalar) return scalar;
    if (d.type === "array") return `[${this.fieldType(d.element!, key, at)}]`;
    if (d.type === "object") {
      const message = messageName(field);
      const name = message
        ? (message.endsWith("Input") ? message : `${message}Input`)
        : `${protoMethodName(key)}Input`;
      return this.write(name, field, at);
    }
    throw new TypeError(`${at}: zod type "${d.type}" has no GraphQL input type`);
  }

  /** Writes the input type `name` of an object schema, once; refuses two shapes under one name. */
  write(name: string, schema: z.ZodType, at: string): string {
    const fields = Object.entries(shapeOf(schema)).map(([key, field]) =>
      sdlField(key, field, this.fieldType(field, key, `${at}.${key}`))
    );
    const text = `  input ${name} {\n${fields.join("\n")}\n  }\n`;
    const seen = this.types.get(name);
    if (seen !== undefined && seen !== text) {
      throw new TypeError(`Two GraphQL input types named ${name} differ (${at})`);
    }
    this.types.set(name, text);
    return name;
  }
}

/** The SDL of the input types and the `Mutation` type of the commands of `services`. */
export function mutationTypeDefs(services: readonly ServiceContract[]): string {
  const inputs = new Inputs();
  const fields: string[] = [];
  for (const service of services) {
    for (const [name, method] of Object.entries(service.methods)) {
      if (method.access === "service") continue;
      const at = `${service.service}.${name}`;
      const input = inputs.write(`${protoMethodName(name)}Input`, method.input, `${at} input`);
      let answer = "Boolean";
      if (method.answers) {
        const view = messageName(method.answers);
        if (!view) throw new TypeError(`${at}: the view it answers with has no message name`);
        answer = view;
      }
      fields.push(described(method.doc, "    ") + `    ${name}(input: ${input}!): ${answer}!`);
    }
  }
  return `${[...inputs.types.values()].join("\n")}\n  type Mutation {\n${fields.join("\n")}\n  }\n`;
}
