/**
 * Hostile HTTP for the GraphQL fuzz test: header values of any bytes (sent
 * over a raw socket), malformed bodies, and how an answer is classified.
 */
import fc from "fast-check";
import { bytes } from "./harness.ts";
import { hostileText, limitText, positionText } from "./values.ts";

/** A header sent with bytes of our choosing. */
export interface HeaderFuzz {
  name: string;
  value: Uint8Array;
  label: string;
}

/** The headers whose values reach the services' metadata. */
export const FUZZED_HEADERS = [
  "x-correlation-id",
  "traceparent",
  "x-user-id",
  "x-consistency-token",
  "idempotency-key",
  "authorization",
] as const;

const utf8 = (s: string) => new TextEncoder().encode(s.replace(/[\r\n]/g, " "));

/** Header values: UTF-8 and latin-1 bytes, controls, long values, near-valid formats. */
export function headerValue(): fc.Arbitrary<{ value: Uint8Array; label: string }> {
  return fc.oneof(
    hostileText().map((t) => ({ value: utf8(t.value), label: `utf8 ${t.label}` })),
    limitText(512).map((t) => ({ value: utf8(t.value), label: `utf8 ${t.label}` })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({
      value: b.map((x) => x | 0x80),
      label: "latin-1 bytes",
    })),
    fc.constantFrom(
      { value: new Uint8Array([0x00]), label: "NUL byte" },
      { value: new Uint8Array([0x41, 0x01, 0x7f]), label: "control bytes" },
      { value: new Uint8Array([0xc3, 0x28]), label: "invalid UTF-8" },
      { value: new Uint8Array([0xed, 0xa0, 0x80]), label: "UTF-8 encoded lone surrogate" },
      { value: utf8("a".repeat(513)), label: "513 ascii" },
      { value: utf8("a".repeat(9000)), label: "9000 ascii" },
      { value: utf8("a".repeat(70_000)), label: "70000 ascii" },
      { value: utf8(""), label: "empty" },
      { value: utf8(crypto.randomUUID()), label: "uuid" },
      {
        value: utf8("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        label: "valid traceparent",
      },
      { value: utf8("00-zz-zz-01"), label: "malformed traceparent" },
      { value: utf8("Bearer x.y.z"), label: "bad bearer" },
      { value: utf8("Basic Zm9vOmJhcg=="), label: "basic auth" },
    ),
    positionText().map((p) => ({ value: utf8(p.value), label: p.label })),
  );
}

/** One to two headers with hostile values. */
export function headerFuzz(): fc.Arbitrary<HeaderFuzz[]> {
  return fc.array(
    fc.record({ name: fc.constantFrom(...FUZZED_HEADERS), v: headerValue() }).map((
      { name, v },
    ) => ({ name, value: v.value, label: `${name}: ${v.label}` })),
    { minLength: 1, maxLength: 2 },
  );
}

/** A malformed body, as bytes, with the content type to send it with. */
export interface BodyFuzz {
  label: string;
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** The client-chosen id of the category it would create, if any. */
  freshId?: string;
}

const CREATE = "mutation($i: CreateCategoryInput!){createCategory(input:$i){id}}";

/** Bodies that are not well-formed GraphQL-over-HTTP requests, or push the gateway's limits. */
export function bodyFuzz(): fc.Arbitrary<BodyFuzz> {
  const json = "application/json";
  const withName = (label: string, raw: Uint8Array) =>
    fc.uuid().map((id) => ({
      label,
      contentType: json,
      freshId: id,
      body: bytes(
        `{"query":${JSON.stringify(CREATE)},"variables":{"i":{"id":"${id}","name":"n`,
        raw,
        `"}}}`,
      ),
    }));
  const fixed = (label: string, body: string | Uint8Array, contentType = json) =>
    fc.constant<BodyFuzz>({ label, body: bytes(body), contentType });
  const depth = (n: number) =>
    `{"query":"{ categoryTree { ${"children { ".repeat(n)}category { id }${" }".repeat(n)} } }"}`;
  const aliases = (n: number) =>
    `{"query":"{ ${
      Array.from({ length: n }, (_, i) => `a${i}: categoryStatistics { totalCategories }`).join(" ")
    } }"}`;
  return fc.oneof(
    withName("invalid UTF-8 in a name", new Uint8Array([0xff, 0xfe, 0x41])),
    withName("overlong UTF-8 NUL in a name", new Uint8Array([0xc0, 0x80])),
    withName("UTF-8 encoded lone surrogate in a name", new Uint8Array([0xed, 0xa0, 0x80])),
    withName("raw NUL byte in a name", new Uint8Array([0x00])),
    withName("escaped lone surrogate in a name", bytes("\\ud800")),
    withName("escaped NUL in a name", bytes("\\u0000")),
    fixed("truncated JSON", '{"query":"{ categoryTree { category { id } } }","variab'),
    fixed("JSON array batch", '[{"query":"{ categoryStatistics { totalCategories } }"}]'),
    fixed("query not a string", '{"query":5}'),
    fixed(
      "variables not an object",
      '{"query":"query($id: ID!){category(id:$id){id}}","variables":"x"}',
    ),
    fixed(
      "extensions not an object",
      '{"query":"{ orderStats { totalOrders } }","extensions":[1]}',
    ),
    fixed("empty body", ""),
    fixed("NUL bytes", new Uint8Array([0, 0, 0])),
    fixed("deeply nested JSON", "[".repeat(40_000) + "]".repeat(40_000)),
    fixed("body over the limit", `{"query":"${"#".repeat(200_000)}"}`),
    fixed("selection too deep", depth(30)),
    fixed("too many aliases", aliases(100)),
    fixed(
      "unknown operationName",
      '{"query":"query A { orderStats { totalOrders } }","operationName":"B"}',
    ),
    fixed(
      "two operations, no name",
      '{"query":"query A { orderStats { totalOrders } } query B { orderStats { totalOrders } }"}',
    ),
    fixed("GraphQL as text/plain", '{"query":"{ orderStats { totalOrders } }"}', "text/plain"),
    fixed(
      "unknown content type",
      '{"query":"{ orderStats { totalOrders } }"}',
      "application/x-\u00e9",
    ),
    fixed("unknown field", '{"query":"{ nope }"}'),
    fixed("syntax error", '{"query":"{ category(id: \\"a\\" { id }"}'),
    fixed("string literal with NUL", '{"query":"{ categoryByName(name: \\"\\u0000\\") { id } }"}'),
    fixed("huge int literal", '{"query":"{ products(page: 99999999999999999999) { id } }"}'),
    fixed("float literal for Int", '{"query":"{ products(page: 1.5) { id } }"}'),
  );
}

/** How the gateway answered one request. */
export interface Classified {
  /** The outcome code: OK, an extensions.code, or what HTTP said. */
  outcome: string;
  /** Codes of every error. */
  codes: string[];
  /** The answer says something was written (a mutation's consistency token). */
  wrote: boolean;
  /** Why the answer is a failure, when it is one. */
  failure?: string;
  errors: { message: string; extensions?: Record<string, unknown> }[];
}

/** Classifies an HTTP answer of the gateway. */
export function classify(status: number | null, text: string): Classified {
  if (status === null) {
    return { outcome: "NO_ANSWER", codes: [], wrote: false, failure: "no answer", errors: [] };
  }
  let json: {
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: { consistencyToken?: unknown };
  } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!json || typeof json !== "object") {
    const outcome = `HTTP_${status}`;
    return {
      outcome,
      codes: [],
      wrote: false,
      errors: [],
      ...(status >= 500 ? { failure: `HTTP ${status}: ${text.slice(0, 120)}` } : {}),
    };
  }
  const errors = Array.isArray(json.errors) ? json.errors : [];
  const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? "NO_CODE")))].sort();
  const outcome = codes.length ? codes.join("+") : status === 200 ? "OK" : `HTTP_${status}`;
  const wrote = typeof json.extensions?.consistencyToken === "string";
  let failure: string | undefined;
  if (codes.includes("INTERNAL")) failure = "INTERNAL";
  else if (status >= 500 && !codes.every((c) => c === "UNAVAILABLE")) {
    failure = `HTTP ${status} ${codes.join("+")}`;
  }
  return { outcome, codes, wrote, errors, ...(failure ? { failure } : {}) };
}

/** Why an UNAVAILABLE answer was given: a client's stale token, an open circuit, or an outage. */
export function unavailableKind(errors: { message: string }[]): string {
  const message = errors.map((e) => e.message).join(" ");
  if (/caught up/.test(message)) return "consistency wait";
  if (/circuit is open/.test(message)) return "circuit open";
  return "outage";
}
