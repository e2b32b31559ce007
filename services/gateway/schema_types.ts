/**
 * The GraphQL object types that show query views, generated from the views'
 * zod contracts: a type has the view's fields, less those it hides, in the
 * view's order, then the fields its resolvers compute (written in SDL).
 * A field named `id` or ending in `Id` is an `ID`, a text or an enum
 * `String`, a whole number `Int`, another number `Float`, a flag `Boolean`,
 * an object the type declared for its view (or of its message's name), an
 * array a list; a field the view may leave out is nullable. Descriptions
 * come from the contracts: a message's doc, a field's `.describe()`.
 */
import type { z } from "zod";
import { messageDoc, messageName } from "@shared/grpc/proto_text.ts";
import {
  core,
  def,
  descriptionOf,
  isInt,
  isOptional,
  shapeOf,
  wraps,
} from "@shared/grpc/zod_shape.ts";

/** One object type: the view it shows, and what it shows differently. */
export interface ObjectType {
  name: string;
  view: z.ZodType;
  /** View fields the type leaves out (a resolver shows them in another form, or nobody needs them). */
  hide?: readonly string[];
  /** Fields the resolvers compute, in SDL, after the view's. */
  computed?: string;
  /** The type's description, when the view's message has none or another. */
  description?: string;
}

function described(text: string | undefined, indent: string): string {
  return text ? `${indent}${JSON.stringify(text)}\n` : "";
}

/** The SDL of `types`, each view field typed as its contract says. */
export function objectTypeDefs(types: readonly ObjectType[]): string {
  const nameOf = (schema: z.ZodType, at: string): string => {
    const declared = types.find((t) => wraps(schema, t.view) || wraps(t.view, core(schema)));
    const name = declared?.name ?? messageName(schema);
    if (!name) throw new TypeError(`${at}: an object with no GraphQL type or message name`);
    return name;
  };
  const fieldType = (field: z.ZodType, key: string, at: string): string => {
    const inner = core(field);
    const d = def(inner);
    let type: string;
    switch (d.type) {
      case "string":
      case "enum":
        type = key === "id" || key.endsWith("Id") ? "ID" : "String";
        break;
      case "boolean":
        type = "Boolean";
        break;
      case "number":
        type = isInt(inner) ? "Int" : "Float";
        break;
      case "array":
        type = `[${fieldType(d.element!, key, at)}]`;
        break;
      case "object":
        type = nameOf(field, at);
        break;
      default:
        throw new TypeError(`${at}: zod type "${d.type}" has no GraphQL output type`);
    }
    return isOptional(field) ? type : `${type}!`;
  };
  return types.map((t) => {
    const shape = shapeOf(t.view);
    for (const hidden of t.hide ?? []) {
      if (!(hidden in shape)) {
        throw new TypeError(`${t.name} hides ${hidden}, which its view lacks`);
      }
    }
    const fields = Object.entries(shape)
      .filter(([key]) => !t.hide?.includes(key))
      .map(([key, field]) =>
        described(descriptionOf(field), "    ") +
        `    ${key}: ${fieldType(field, key, `${t.name}.${key}`)}`
      );
    const computed = t.computed ? `\n${t.computed.replace(/^\n+|\s+$/g, "")}` : "";
    return described(t.description ?? messageDoc(t.view), "  ") +
      `  type ${t.name} {\n${fields.join("\n")}${computed}\n  }\n`;
  }).join("\n");
}
