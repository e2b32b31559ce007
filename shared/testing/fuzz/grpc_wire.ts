/**
 * Protobuf messages for the gRPC fuzz test, built from the protos: a valid
 * message for every method, the same with one field set to a hostile value,
 * and wire-level damage (truncation, wrong wire types, invalid UTF-8, varint
 * overflow, lengths past the end, random bytes).
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { commandContracts } from "@proto/command/v1/contract.ts";
import { queryContracts } from "@proto/query/v1/contract.ts";
import { loadProto, serviceDefinition } from "@shared/grpc/proto.ts";
import { boundInts, hostileText, type Labeled, limitText } from "./values.ts";

/** A field of a message, as the proto describes it. */
export interface FieldInfo {
  name: string;
  number: number;
  type: string;
  repeated: boolean;
  /** The message type of a message field, fully qualified. */
  typeName?: string;
}

/** A unary method of one of the services, with what it takes. */
export interface Method {
  /** "/package.Service/Method". */
  path: string;
  service: "command" | "query";
  /** Whether it appends events. */
  writes: boolean;
  fields: FieldInfo[];
  pkg: string;
  file: string;
  serialize(value: unknown): Buffer;
  /** Existing entities valid messages refer to, once the setup made them. */
  refs?: References;
}

interface DescribedType {
  type: {
    field: { name: string; number: number; type: string; label: string; typeName: string }[];
  };
}

function fieldsOf(file: string, fullName: string): FieldInfo[] {
  const found = loadProto(file)[fullName] as unknown as DescribedType | undefined;
  if (!found) throw new Error(`${fullName} is not in ${file}`);
  return found.type.field.map((f) => ({
    name: f.name,
    number: f.number,
    type: f.type,
    repeated: f.label === "LABEL_REPEATED",
    ...(f.typeName ? { typeName: f.typeName } : {}),
  }));
}

/** Every unary method of the command and query services, from the protos. */
export function methods(): Method[] {
  const out: Method[] = [];
  const contracts = [
    ...commandContracts.map((c) => ({ c, service: "command" as const })),
    ...queryContracts.map((c) => ({ c, service: "query" as const })),
  ];
  for (const { c, service } of contracts) {
    const definition = serviceDefinition(c.protoFile, c.service);
    const pkg = c.service.slice(0, c.service.lastIndexOf("."));
    for (const method of Object.values(definition)) {
      const { requestType } = method as unknown as {
        requestType: DescribedType & {
          type: { name: string };
        };
      };
      out.push({
        path: method.path,
        service,
        writes: service === "command" && !method.path.includes("EventLog"),
        fields: fieldsOf(c.protoFile, `${pkg}.${requestType.type.name}`),
        pkg,
        file: c.protoFile,
        serialize: (value) => method.requestSerialize(value) as Buffer,
      });
    }
  }
  return out;
}

const STRING_DEFAULTS: Record<string, string> = {
  name: "fuzz",
  price: "9.99",
  status: "confirmed",
  reason: "r",
  direction: "asc",
  sort: "name_asc",
  searchTerm: "x",
  street: "1 Main St",
  city: "Springfield",
  postalCode: "12345",
};

/** Existing entities that valid messages refer to, so that valid commands are accepted. */
export interface References {
  categoryId: string;
  productId: string;
  orderId: string;
}

/** The existing entity a field names: the target of an update, a product's category, and so on. */
function referenceFor(m: Pick<Method, "path" | "refs">, field: string): string | undefined {
  const { refs } = m;
  if (!refs) return undefined;
  if (field === "categoryId") return refs.categoryId;
  if (field === "productId") return refs.productId;
  if (field === "orderId") return refs.orderId;
  if (field !== "id" || /\/Create/.test(m.path)) return undefined;
  if (/Category/.test(m.path)) return refs.categoryId;
  if (/Product/.test(m.path)) return refs.productId;
  if (/Order/.test(m.path)) return refs.orderId;
  return undefined;
}

/** A valid value for every field of a message (ids are fresh UUIDs, names unique). */
export function validMessage(
  m: Pick<Method, "file" | "pkg" | "path" | "refs">,
  fields: FieldInfo[],
  unique: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    let value: unknown;
    switch (f.type) {
      case "TYPE_STRING":
        value = /ids?$/i.test(f.name) || f.name === "reassignProductsTo"
          ? crypto.randomUUID()
          : f.name === "name"
          ? `fuzz ${unique}`
          : STRING_DEFAULTS[f.name] ?? "x";
        if (f.name === "after" || f.name === "discountRate") {
          value = f.name === "after" ? "0:0" : "0.1";
        }
        break;
      case "TYPE_INT32":
        value = f.name === "limit" ? 10 : 1;
        break;
      case "TYPE_BOOL":
        value = false;
        break;
      case "TYPE_MESSAGE":
        value = validMessage(m, fieldsOf(m.file, `${m.pkg}.${f.typeName}`), unique);
        break;
      default:
        value = undefined;
    }
    if (f.name === "makeRoot" || f.name === "parentId" || f.name === "reassignProductsTo") continue;
    const ref = referenceFor(m, f.name);
    if (ref !== undefined) value = ref;
    out[f.name] = f.repeated ? [value] : value;
  }
  return out;
}

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const lengthDelimited = (field: number, payload: number[]) => [
  ...tag(field, 2),
  ...varint(BigInt(payload.length)),
  ...payload,
];

/** A raw message to send: its bytes and what they are. */
export interface RawMessage {
  bytes: Buffer;
  label: string;
  /** The field it damages, if one. */
  field?: string;
}

function hostileFieldValue(f: FieldInfo): fc.Arbitrary<Labeled> {
  if (f.type === "TYPE_INT32") return boundInts(0, 100) as fc.Arbitrary<Labeled>;
  if (f.type === "TYPE_STRING") {
    return fc.oneof(
      hostileText() as fc.Arbitrary<Labeled>,
      fc.constantFrom(20, 100, 200, 255, 500, 2000).chain((max) =>
        limitText(max).map((l) => ({ value: l.value, label: l.label }))
      ),
    );
  }
  if (f.type === "TYPE_BOOL") return fc.constant({ value: true, label: "true" });
  return fc.constant({ value: {}, label: "empty message" });
}

/** Wire-level damage to a field: wrong wire types, invalid UTF-8, overflow, lengths past the end. */
function wireDamage(f: FieldInfo): fc.Arbitrary<{ bytes: number[]; label: string }> {
  const n = f.number;
  return fc.constantFrom(
    { bytes: [...tag(n, 0), ...varint(1n)], label: `as varint` },
    { bytes: lengthDelimited(n, [0x41, 0x42]), label: `as bytes "AB"` },
    { bytes: [...tag(n, 5), 1, 2, 3, 4], label: `as fixed32` },
    { bytes: [...tag(n, 1), 1, 2, 3, 4, 5, 6, 7, 8], label: `as fixed64` },
    { bytes: [...tag(n, 3)], label: `as group start, no end` },
    { bytes: [...tag(n, 4)], label: `as group end` },
    { bytes: [...tag(n, 6), 0], label: `with wire type 6` },
    { bytes: [...tag(n, 7), 0], label: `with wire type 7` },
    { bytes: lengthDelimited(n, [0xff, 0xfe]), label: `invalid UTF-8` },
    { bytes: lengthDelimited(n, [0xed, 0xa0, 0x80]), label: `UTF-8 lone surrogate` },
    { bytes: lengthDelimited(n, [0xc0, 0x80]), label: `overlong NUL` },
    { bytes: lengthDelimited(n, [0x00]), label: `NUL byte` },
    { bytes: [...tag(n, 2), ...varint(2n ** 31n), 0x41], label: `length 2^31, 1 byte` },
    { bytes: [...tag(n, 2), ...varint(-1n)], label: `length -1` },
    {
      bytes: [...tag(n, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      label: `11-byte varint`,
    },
    { bytes: [...tag(n, 0), ...varint(-1n)], label: `varint -1` },
    { bytes: [...tag(n, 0), ...varint(2n ** 32n)], label: `varint 2^32` },
    { bytes: [...tag(n, 0), 0x80], label: `varint cut short` },
  );
}

/** Messages for one method: hostile field values, wire damage, truncation, random bytes. */
export function rawMessage(m: Method, unique: () => string): fc.Arbitrary<RawMessage> {
  const valid = () => m.serialize(validMessage(m, m.fields, unique()));
  const byField = m.fields.length === 0 ? [] : [
    fc.constantFrom(...m.fields).chain((f) =>
      hostileFieldValue(f).map((v) => {
        const base = validMessage(m, m.fields, unique());
        if (f.type === "TYPE_MESSAGE") base[f.name] = f.repeated ? Array(2000).fill({}) : {};
        else base[f.name] = f.repeated ? [v.value] : v.value;
        let bytes: Buffer;
        try {
          bytes = m.serialize(base);
        } catch {
          bytes = Buffer.from([]);
        }
        return { bytes, label: `${f.type.slice(5).toLowerCase()} = ${v.label}`, field: f.name };
      })
    ),
    fc.constantFrom(...m.fields).chain((f) =>
      wireDamage(f).map((d) => ({
        bytes: Buffer.concat([valid(), Buffer.from(d.bytes)]),
        label: `${f.type.slice(5).toLowerCase()} ${d.label}`,
        field: f.name,
      }))
    ),
  ];
  return fc.oneof(
    ...byField,
    fc.double({ min: 0, max: 1, noNaN: true }).map((cut) => {
      const bytes = valid();
      const at = Math.max(1, Math.floor(bytes.length * cut)) - 1;
      return { bytes: bytes.subarray(0, at), label: "valid message truncated" };
    }),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({
      bytes: Buffer.from(b),
      label: "random bytes",
    })),
    fc.constant(0).map(() => ({ bytes: valid(), label: "valid message" })),
    fc.constant(0).map(() => ({
      bytes: Buffer.concat([valid(), Buffer.from(lengthDelimited(99, [1, 2, 3]))]),
      label: "unknown field 99",
    })),
  );
}
