/**
 * A strict check of a request's protobuf bytes before they are decoded. The
 * decoder grpc-js uses forgives what it should refuse: a length-delimited
 * field that runs past the end is cut short (bytes `12 7f 41` decode to the
 * name "A"), and invalid UTF-8 in a string becomes U+FFFD. Either would store
 * text the caller never sent, so both are refused here, naming the field.
 */
import type { FieldIssue } from "@shared/errors/mod.ts";

/** The parts of a protobuf DescriptorProto the check reads, as @grpc/proto-loader gives them. */
export interface MessageDescriptor {
  field: { name: string; number: number; type: string; typeName: string }[];
}

/**
 * Finds a message type by the name a field refers to it by, from the scope of
 * `within`: its full name and descriptor.
 */
export type ResolveType = (
  typeName: string,
  within: string,
) => { name: string; type: MessageDescriptor } | undefined;

const utf8 = new TextDecoder("utf-8", { fatal: true });

const TRUNCATED = "is truncated: the request is not a valid protobuf message";
const MALFORMED = "is malformed: the request is not a valid protobuf message";

/** Reads a varint at `pos`; null when it runs past `end` or past 10 bytes. */
function varint(bytes: Uint8Array, pos: number, end: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return null;
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  return null;
}

/**
 * The first problem with a message's bytes, or null when they are sound:
 * every field lies within its message, every string is valid UTF-8, every
 * nested message is sound too. `name` is the message's full name (for
 * resolving nested types), `path` the dotted field path to report.
 */
export function checkWire(
  bytes: Uint8Array,
  type: MessageDescriptor,
  name: string,
  resolve: ResolveType,
  path = "",
  start = 0,
  end = bytes.length,
): FieldIssue | null {
  const fields = new Map(type.field.map((f) => [f.number, f]));
  let pos = start;
  while (pos < end) {
    const tag = varint(bytes, pos, end);
    if (!tag) return { field: path || "input", message: TRUNCATED };
    pos = tag[1];
    const number = Math.floor(tag[0] / 8);
    const wireType = tag[0] % 8;
    const field = fields.get(number);
    const at = field ? (path ? `${path}.${field.name}` : field.name) : path || "input";
    if (number === 0) return { field: at, message: MALFORMED };
    switch (wireType) {
      case 0: {
        const skipped = varint(bytes, pos, end);
        if (!skipped) return { field: at, message: TRUNCATED };
        pos = skipped[1];
        break;
      }
      case 1:
      case 5: {
        pos += wireType === 1 ? 8 : 4;
        if (pos > end) return { field: at, message: TRUNCATED };
        break;
      }
      case 2: {
        const length = varint(bytes, pos, end);
        if (!length || length[1] + length[0] > end) return { field: at, message: TRUNCATED };
        const from = length[1];
        pos = from + length[0];
        if (field?.type === "TYPE_STRING") {
          try {
            utf8.decode(bytes.subarray(from, pos));
          } catch {
            return { field: at, message: "must be valid UTF-8" };
          }
        } else if (field?.type === "TYPE_MESSAGE") {
          const nested = resolve(field.typeName, name);
          if (nested) {
            const issue = checkWire(bytes, nested.type, nested.name, resolve, at, from, pos);
            if (issue) return issue;
          }
        }
        break;
      }
      default:
        return { field: at, message: MALFORMED };
    }
  }
  return null;
}

/**
 * A resolver over a package definition from @grpc/proto-loader: looks a type
 * name up from the innermost scope of `within` outwards, as protoc does.
 */
export function resolverOf(definitions: Record<string, unknown>): ResolveType {
  return (typeName, within) => {
    const candidates = typeName.startsWith(".") ? [typeName.slice(1)] : scopes(typeName, within);
    for (const candidate of candidates) {
      const found = definitions[candidate] as { type?: MessageDescriptor } | undefined;
      if (found?.type?.field) return { name: candidate, type: found.type };
    }
    return undefined;
  };
}

function scopes(typeName: string, within: string): string[] {
  const parts = within.split(".");
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push([...parts.slice(0, i), typeName].join("."));
  return out;
}
