/**
 * Reading a zod contract's shape at run time: the protos are generated from
 * it, and the tests hold the GraphQL schema to it.
 */
import { z } from "zod";

/** The parts of a zod definition these checks read. */
export interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  getter?: () => z.ZodType;
  options?: z.ZodType[];
  checks?: { _zod: { def: { check?: string; format?: string } } }[];
}

/** A schema's definition. */
export function def(schema: z.ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/**
 * The schema a wrapper stands for (optional, nullable, default, a
 * preprocess or transform pipe, lazy); undefined when it is no wrapper.
 */
export function unwrapped(schema: z.ZodType): z.ZodType | undefined {
  const d = def(schema);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
      return d.innerType;
    case "pipe":
      // A preprocess pipe puts the real schema in `out`; a transform pipe in `in`.
      return def(d.in!).type === "transform" ? d.out : d.in;
    case "lazy":
      return lazyInner(schema);
    default:
      return undefined;
  }
}

/** The zod type under wrappers: optional, default, preprocess/transform pipes, lazy. */
export function core(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let inner = unwrapped(s); inner; inner = unwrapped(s)) s = inner;
  return s;
}

/** Whether `target` is `schema` itself or one of the schemas it wraps. */
export function wraps(schema: z.ZodType, target: z.ZodType): boolean {
  for (let s: z.ZodType | undefined = schema; s; s = unwrapped(s)) if (s === target) return true;
  return false;
}

/** The description (`.describe()`) of a schema or, failing that, of the first it wraps that has one. */
export function descriptionOf(schema: z.ZodType): string | undefined {
  for (let s: z.ZodType | undefined = schema; s; s = unwrapped(s)) {
    const description = z.globalRegistry.get(s)?.description;
    if (description) return description;
  }
  return undefined;
}

/**
 * The schema a lazy one stands for: the same instance every time (zod caches
 * it), so a recursive schema can be walked without looping.
 */
export function lazyInner(schema: z.ZodType): z.ZodType {
  return (schema as unknown as { _zod: { innerType: z.ZodType } })._zod.innerType;
}

/** The fields of an object schema (under its wrappers). */
export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return (core(schema) as unknown as { shape: Record<string, z.ZodType> }).shape;
}

/** Whether a field may be left out (it accepts undefined). */
export function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** Whether a number schema takes whole numbers only (`z.number().int()`). */
export function isInt(schema: z.ZodType): boolean {
  return (def(schema).checks ?? []).some((c) =>
    c._zod.def.check === "number_format" &&
    (c._zod.def.format === "safeint" || c._zod.def.format === "int32")
  );
}

/** What kind of single value a zod type (under its wrappers) carries, for the schemas generated from it. */
export type ScalarKind = "text" | "boolean" | "int" | "float";

/**
 * The scalar kind of a zod type under its wrappers: a string or an enum is
 * text, and so is a number-or-string (a rate sent either way); undefined for
 * a list, an object or anything else.
 */
export function scalarKind(inner: z.ZodType): ScalarKind | undefined {
  const d = def(inner);
  switch (d.type) {
    case "string":
    case "enum":
      return "text";
    case "boolean":
      return "boolean";
    case "number":
      return isInt(inner) ? "int" : "float";
    case "union":
      return d.options!.some((o) => scalarKind(core(o)) === "text") ? "text" : undefined;
    default:
      return undefined;
  }
}
