/**
 * The `.proto` files, generated from the zod contracts: the contracts are the
 * one declaration of every gRPC shape. A message's fields are numbered in
 * the order its zod object declares them, so a new field goes last (a field
 * moved or removed would renumber the ones after it; proto/published_test.ts
 * holds every published field to its number). Names: a schema registered
 * with {@link message} keeps its name; otherwise a request is
 * `<Method>Request`, an answer `<Method>Response`, and a nested object is
 * named after its field. Comments come from the contracts: a file's and a
 * service's `doc`, an RPC's `doc`, a message's doc and a field's
 * `.describe()`.
 */
import { z } from "zod";
import { protoMethodName, type ServiceContract } from "./contract.ts";
import {
  core,
  def,
  descriptionOf,
  isOptional,
  type ScalarKind,
  scalarKind,
  unwrapped,
} from "./zod_shape.ts";

const names = new WeakMap<z.ZodType, { name: string; doc?: string }>();

/** Names the message a schema becomes (and documents it), returning the schema itself. */
export function message<T extends z.ZodType>(name: string, schema: T, doc?: string): T {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new TypeError(`A message name is PascalCase: "${name}"`);
  }
  names.set(schema, doc === undefined ? { name } : { name, doc });
  return schema;
}

/** One generated `.proto` file: where clients find it, its package, and its services. */
export interface ProtoFile {
  /** Relative to `proto/`, e.g. `command/v1/command.proto`. */
  path: string;
  package: string;
  /** What the file's services share, as its leading comment. */
  doc?: string;
  services: readonly ServiceContract[];
  /** A service's leading comment, by its short name. */
  serviceDocs?: Readonly<Record<string, string>>;
}

const files = new Map<string, ProtoFile>();

/**
 * Declares a `.proto` file made of contracts; its services must all be in
 * its package and name it as their `protoFile`. Throws when the path is
 * declared twice.
 */
export function declareProtoFile(file: ProtoFile): ProtoFile {
  if (files.has(file.path)) throw new TypeError(`proto/${file.path} is declared twice`);
  for (const service of file.services) {
    if (service.protoFile !== file.path || !service.service.startsWith(`${file.package}.`)) {
      throw new TypeError(`${service.service} is not a service of proto/${file.path}`);
    }
  }
  files.set(file.path, file);
  return file;
}

/** The declared file at `path`; throws, naming the fix, when none is. */
export function protoFile(path: string): ProtoFile {
  const file = files.get(path);
  if (!file) {
    throw new Error(
      `proto/${path} is not declared: import the contract module that declares it ` +
        `(declareProtoFile)`,
    );
  }
  return file;
}

/** Every declared file's path. */
export function protoFiles(): string[] {
  return [...files.keys()];
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function comment(text: string | undefined, indent: string): string {
  if (!text) return "";
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && indent.length + 3 + line.length + 1 + word.length > 80) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines.map((l) => `${indent}// ${l}`.trimEnd()).join("\n") + "\n";
}

/** What a field is on the wire, once its wrappers are read. */
interface FieldType {
  optional: boolean;
  repeated: boolean;
  /** A scalar type, or the schema of a message. */
  type: string | z.ZodType;
  description?: string;
}

/** The message name registered (with {@link message}) for a schema or one it wraps. */
export function messageName(schema: z.ZodType): string | undefined {
  return registered(schema)?.name;
}

/** The doc registered (with {@link message}) for a schema or one it wraps. */
export function messageDoc(schema: z.ZodType): string | undefined {
  return registered(schema)?.doc;
}

/** A registered name on the schema or one of its wrappers, outermost first. */
function registered(schema: z.ZodType): { name: string; doc?: string } | undefined {
  for (let s: z.ZodType | undefined = schema; s; s = unwrapped(s)) {
    const found = names.get(s);
    if (found) return found;
  }
  return undefined;
}

/** The proto scalar of each kind of value. */
const PROTO_SCALARS: Readonly<Record<ScalarKind, string>> = {
  text: "string",
  boolean: "bool",
  int: "int32",
  float: "double",
};

function fieldType(field: z.ZodType, at: string): FieldType {
  let description = descriptionOf(field);
  let repeated = false;
  // The schema of one value: the field's, or its array's element (a message keeps its
  // wrappers, where its registered name may be).
  let value = field;
  if (def(core(value)).type === "array") {
    repeated = true;
    value = def(core(value)).element!;
    description ??= descriptionOf(value);
  }
  const inner = core(value);
  const kind = def(inner).type;
  if (kind === "array") throw new TypeError(`${at}: a list of lists has no proto field`);
  const scalar = scalarKind(inner);
  const type = scalar ? PROTO_SCALARS[scalar] : kind === "object" ? value : undefined;
  if (type === undefined) {
    throw new TypeError(
      kind === "union"
        ? `${at}: a union without a string option has no proto field`
        : `${at}: zod type "${kind}" has no proto field`,
    );
  }
  return { optional: isOptional(field), repeated, type, ...(description ? { description } : {}) };
}

/** The object schema under a message schema's wrappers. */
function objectOf(schema: z.ZodType, at: string): z.ZodObject {
  for (let s: z.ZodType | undefined = schema; s; s = unwrapped(s)) {
    if (def(s).type === "object") return s as z.ZodObject;
  }
  throw new TypeError(`${at} is a zod ${def(schema).type}, not an object: it has no proto message`);
}

/** Generates one file's text. */
class Writer {
  readonly messages = new Map<string, { body: string; at: string }>();
  readonly order: string[] = [];
  /** The name each object got: written once, and a recursive one (a tree) while it is written. */
  private readonly named = new Map<z.ZodType, string>();

  /** The message name of `schema`, writing its message (and the ones it holds) once. */
  name(schema: z.ZodType, fallback: string, at: string): string {
    const known = registered(schema);
    const name = known?.name ?? fallback;
    const object = objectOf(schema, at);
    const already = this.named.get(object);
    if (already) return already;
    this.named.set(object, name);
    const body = this.body(name, object, at, known?.doc);
    const seen = this.messages.get(name);
    if (seen && seen.body !== body) {
      throw new TypeError(
        `Two messages named ${name} differ (${seen.at} and ${at}): name one of them with message()`,
      );
    }
    if (!seen) {
      this.messages.set(name, { body, at });
      this.order.push(name);
    }
    return name;
  }

  private body(name: string, object: z.ZodObject, at: string, doc?: string): string {
    const lines: string[] = [];
    const shape = object.shape as Record<string, z.ZodType>;
    let number = 0;
    for (const [key, field] of Object.entries(shape)) {
      number++;
      const where = `${at}.${key}`;
      const t = fieldType(field, where);
      const type = typeof t.type === "string"
        ? t.type
        : this.name(t.type, protoMethodName(key), where);
      const label = t.repeated ? "repeated " : t.optional ? "optional " : "";
      lines.push(comment(t.description, "  ") + `  ${label}${type} ${snake(key)} = ${number};`);
    }
    const fields = lines.length ? `\n${lines.join("\n")}\n` : "";
    return `${comment(doc, "")}message ${name} {${fields}}\n`;
  }
}

/** The `.proto` text of a declared file. */
export function protoText(path: string): string {
  const file = protoFile(path);
  const writer = new Writer();
  const services: string[] = [];
  for (const contract of file.services) {
    const short = contract.service.slice(file.package.length + 1);
    const rpcs: string[] = [];
    for (const [key, method] of Object.entries(contract.methods)) {
      const rpc = protoMethodName(key);
      const at = `${contract.service}.${key}`;
      const input = writer.name(method.input, `${rpc}Request`, `${at} input`);
      const output = writer.name(method.output, `${rpc}Response`, `${at} output`);
      rpcs.push(comment(method.doc, "  ") + `  rpc ${rpc}(${input}) returns (${output});`);
    }
    services.push(
      comment(file.serviceDocs?.[short], "") + `service ${short} {\n${rpcs.join("\n")}\n}\n`,
    );
  }
  const messages = writer.order.map((name) => writer.messages.get(name)!.body);
  return [
    `// Generated by \`deno task proto\` from the zod contracts in proto/${
      path.split("/").slice(0, -1).join("/")
    }/contract.ts:\n// edit those, not this file.\nsyntax = "proto3";\n\npackage ${file.package};\n`,
    ...(file.doc ? [comment(file.doc, "")] : []),
    ...services,
    ...messages,
  ].join("\n");
}
