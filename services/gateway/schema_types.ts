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
  isOptional,
  type ScalarKind,
  scalarKind,
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

/** A description line for the SDL, or nothing. */
export function described(text: string | undefined, indent: string): string {
  return text ? `${indent}${JSON.stringify(text)}\n` : "";
}

/** One field of a type in the SDL, with the description its contract gives it. */
export function sdlField(key: string, field: z.ZodType, type: string): string {
  return described(descriptionOf(field), "    ") + `    ${key}: ${type}`;
}

/** The GraphQL scalar of a zod type under its wrappers; undefined for a list or an object. */
export function scalarType(inner: z.ZodType): string | undefined {
  const kind = scalarKind(inner);
  return kind && GRAPHQL_SCALARS[kind];
}

const GRAPHQL_SCALARS: Readonly<Record<ScalarKind, string>> = {
  text: "String",
  boolean: "Boolean",
  int: "Int",
  float: "Float",
};

/** The SDL of `types`, each view field typed as its contract says. */
export function objectTypeDefs(types: readonly ObjectType[]): string {
  const nameOf = (schema: z.ZodType, at: string): string => {
    const declared = types.find((t) => wraps(schema, t.view));
    const name = declared?.name ?? messageName(schema);
    if (!name) throw new TypeError(`${at}: an object with no GraphQL type or message name`);
    return name;
  };
  const fieldType = (field: z.ZodType, key: string, at: string): string => {
    const inner = core(field);
    const d = def(inner);
    let type = scalarType(inner);
    if (type === "String" && (key === "id" || key.endsWith("Id"))) type = "ID";
    else if (d.type === "array") type = `[${fieldType(d.element!, key, at)}]`;
    else if (d.type === "object") type = nameOf(field, at);
    if (!type) throw new TypeError(`${at}: zod type "${d.type}" has no GraphQL output type`);
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
      .map(([key, field]) => sdlField(key, field, fieldType(field, key, `${t.name}.${key}`)));
    const computed = t.computed ? `\n${t.computed.replace(/^\n+|\s+$/g, "")}` : "";
    return described(t.description ?? messageDoc(t.view), "  ") +
      `  type ${t.name} {\n${fields.join("\n")}${computed}\n  }\n`;
  }).join("\n");
}
