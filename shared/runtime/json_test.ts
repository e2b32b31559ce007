import assert from "node:assert/strict";
import fc from "fast-check";
import { hasEscapedKey, parseJson } from "./json.ts";

/** -0 reads back as 0 through JSON; compare what JSON keeps. */
function jsonable(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(jsonable);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: jsonable(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

Deno.test("an escaped key reads back as written after a key with a backslash was read", () => {
  // Each pair: a text that leaves a key with a backslash behind, then one
  // the native parser reads wrong once it has (V8's key cache).
  const cases: [string, string, Record<string, unknown>][] = [
    ['{"h": [], "\\\\": 0}', '{"h": 1, "\\"": 2}', { h: 1, '"': 2 }],
    ['{"q": 1, "x\\\\": 2}', '{"q": 1, "x\\"": 2}', { q: 1, 'x"': 2 }],
    ['{"r": 1, "\\\\": 2}', '{"r": 1, "\\t": 2}', { r: 1, "\t": 2 }],
    ['{"s": 1, "\\\\": 2}', '{"s": 1, "\\u0062": 2}', { s: 1, b: 2 }],
    ['{"u": {"a": 1, "\\\\": 2}}', '{"u": {"a": 1, "\\/": 2}}', { u: { a: 1, "/": 2 } }],
  ];
  for (const [poison, text, expected] of cases) {
    parseJson(poison);
    assert.deepEqual(parseJson(text), expected, `${text} after ${poison}`);
  }
});

Deno.test("property: parseJson reads back what JSON.stringify wrote, keys with escapes too", () => {
  const key = fc.string({ unit: fc.constantFrom("a", "b", '"', "\\", "\n", "é", "/", "\u0001") });
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      fc.jsonValue({ maxDepth: 1 }),
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(key, tie("node"), { maxKeys: 4 }),
    ),
  })).node;
  fc.assert(
    fc.property(value, fc.boolean(), (v, pretty) => {
      const text = pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v);
      assert.deepEqual(parseJson(text), jsonable(v));
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: parseJson refuses what JSON.parse refuses, escaped keys or not", () => {
  const fragment = fc.constantFrom(
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"k\\n"',
    '"v"',
    '"\\q"',
    '"\u0001"',
    "01",
    "-",
    "1.",
    "1e5",
    "-0.5",
    "true",
    "nul",
    " ",
    "\uFEFF",
  );
  fc.assert(
    fc.property(fc.array(fragment, { maxLength: 10 }), (parts) => {
      const text = `{"k\\u0061": ${parts.join("")}}`;
      let native: "ok" | "refused" = "ok";
      try {
        JSON.parse(text);
      } catch {
        native = "refused";
      }
      let ours: "ok" | "refused" = "ok";
      try {
        parseJson(text);
      } catch (err) {
        assert.ok(err instanceof SyntaxError, `${text}: ${err}`);
        ours = "refused";
      }
      assert.equal(ours, native, text);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("a key named __proto__ is an own property, as JSON.parse makes it", () => {
  const value = parseJson('{"\\u005f_proto__": {"x": 1}, "n\\n": 2}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ["__proto__", "n\n"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, { x: 1 });
});

Deno.test("nesting too deep for the reader is a SyntaxError, not a crash", () => {
  // The reader recurses; the native parser does not, so this depth is the reader's alone.
  const depth = 200_000;
  const text = `{"\\n": ${"[".repeat(depth)}${"]".repeat(depth)}}`;
  try {
    parseJson(text);
  } catch (err) {
    assert.ok(err instanceof SyntaxError, String(err));
    assert.match(err.message, /nested too deeply/);
  }
});

Deno.test("hasEscapedKey tells keys from values", () => {
  assert.equal(hasEscapedKey('{"a": "x\\"y"}'), false);
  assert.equal(hasEscapedKey('["\\\\", "a"]'), false);
  assert.equal(hasEscapedKey('{"a\\"b": 1}'), true);
  assert.equal(hasEscapedKey('{"a": {"\\n" :1}}'), true);
  assert.equal(hasEscapedKey('{"a": "unterminated\\'), false);
});
