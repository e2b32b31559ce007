/**
 * Hostile values for the fuzz tests: strings at every length limit (counted
 * in code points, built from astral characters), NUL, lone surrogates, bidi
 * marks, numbers at and past every bound, and values of the wrong type. Each
 * value carries a label saying what it is, so a failure reads as a rule.
 */
import fc from "fast-check";

/** A value with a short description of what makes it interesting. */
export interface Labeled<T = unknown> {
  value: T;
  label: string;
}

/** What kind of text a generated string is made of. */
export type TextKind = "ascii" | "emoji" | "mixed" | "cjk" | "combining" | "rtl";

/**
 * Text kinds a correct service must count in code points and accept within a
 * limit: they hold no control characters, marks or unpaired surrogates.
 */
export const CLEAN_KINDS: readonly TextKind[] = ["ascii", "emoji", "mixed", "cjk"];

const UNIT: Record<TextKind, (i: number) => string> = {
  ascii: (i) => String.fromCharCode(97 + (i % 26)),
  // U+1F600.. (astral: two UTF-16 code units each).
  emoji: (i) => String.fromCodePoint(0x1f600 + (i % 64)),
  mixed: (i) => i % 2 === 0 ? String.fromCharCode(97 + (i % 26)) : String.fromCodePoint(0x1f680),
  cjk: (i) => String.fromCharCode(0x4e00 + (i % 500)),
  combining: (i) => i % 2 === 0 ? "e" : "\u0301",
  rtl: (i) => i % 3 === 0 ? "\u200f" : i % 3 === 1 ? "\u05d0" : "\u202e",
};

/** `n` code points of one kind of text. */
export function textOf(kind: TextKind, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += UNIT[kind](i);
  return s;
}

/** A string whose length in code points is at, one below or one above `max` (and 0, 1). */
export interface LimitText {
  value: string;
  label: string;
  /** Code points after trimming. */
  codePoints: number;
  kind: TextKind;
  padded: boolean;
}

/** Strings around a code-point limit, of every kind, sometimes padded with blanks. */
export function limitText(max: number): fc.Arbitrary<LimitText> {
  return fc.record({
    n: fc.constantFrom(max - 1, max, max + 1, max + 1, 1, max * 2),
    kind: fc.constantFrom<TextKind>("ascii", "emoji", "emoji", "mixed", "cjk", "combining", "rtl"),
    padded: fc.boolean(),
  }).map(({ n, kind, padded }) => {
    const core = textOf(kind, n);
    return {
      value: padded ? `  ${core}\t` : core,
      label: `${n}cp/${max} ${kind}${padded ? " padded" : ""}`,
      codePoints: n,
      kind,
      padded,
    };
  });
}

/** Strings no edge should fail on: controls, unpaired surrogates, bidi marks, odd Unicode. */
export function hostileText(): fc.Arbitrary<Labeled<string>> {
  const fixed: Labeled<string>[] = [
    { value: "", label: "empty" },
    { value: "   ", label: "blanks" },
    { value: "\u0000", label: "NUL" },
    { value: "a\u0000b", label: "NUL inside" },
    { value: "\ud800", label: "lone high surrogate" },
    { value: "\udc00", label: "lone low surrogate" },
    { value: "x\udfffy\ud83d", label: "lone surrogates inside" },
    { value: "\u202etxt.exe", label: "RTL override" },
    { value: "\u200f\u200e\u2066\u2069", label: "bidi marks" },
    { value: "\ufeff", label: "BOM" },
    { value: "\uffff\ufffe", label: "noncharacters" },
    { value: "\u{10ffff}", label: "last code point" },
    { value: "\u0007\u001b[31m\r\n", label: "control characters" },
    { value: "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357", label: "zalgo" },
    { value: "'; DROP TABLE events; --", label: "SQL" },
    { value: "%s%n%x{{}}${x}", label: "format strings" },
    { value: "\\", label: "backslash" },
    { value: "😀".repeat(5000), label: "5000 emoji" },
    { value: "a".repeat(60_000), label: "60000 ascii" },
    { value: "null", label: "text null" },
    { value: "1e309", label: "text 1e309" },
    { value: "\u00e9\u0065\u0301", label: "NFC/NFD" },
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fixed) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((value) => ({
        value,
        label: "random code points",
      })),
    },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        maxLength: 20,
      }).map((value) => ({ value, label: "random UTF-16 units" })),
    },
  );
}

/** Values of the wrong type for any variable, as JSON carries them. */
export function wrongType(): fc.Arbitrary<Labeled> {
  return fc.constantFrom<Labeled>(
    { value: 5.5, label: "float 5.5" },
    { value: 2 ** 31, label: "int 2^31" },
    { value: -(2 ** 31) - 1, label: "int -2^31-1" },
    { value: 2 ** 53 + 1, label: "int 2^53+1" },
    { value: 1e308, label: "float 1e308" },
    { value: "10", label: 'string "10"' },
    { value: null, label: "null" },
    { value: [], label: "empty array" },
    { value: [1, "a", null], label: "mixed array" },
    { value: {}, label: "empty object" },
    { value: { a: { b: { c: [] } } }, label: "nested object" },
    { value: true, label: "boolean" },
    { value: -0, label: "-0" },
  );
}

/** Integers at and past the bounds `[min, max]`, and at the int32 edges. */
export function boundInts(min: number, max?: number): fc.Arbitrary<Labeled<number>> {
  const values = [min - 1, min, min + 1, 0, -1, 2 ** 31 - 1, -(2 ** 31)];
  if (max !== undefined) values.push(max - 1, max, max + 1);
  return fc.constantFrom(...new Set(values)).map((value) => ({
    value,
    label: `int ${value} (bounds ${min}..${max ?? "∞"})`,
  }));
}

/** Decimal texts around the price bounds (0.01 to 999999.99) and malformed ones. */
export function moneyText(): fc.Arbitrary<Labeled<string>> {
  return fc.constantFrom(
    "0.01",
    "0.00",
    "0",
    "999999.99",
    "1000000.00",
    "1000000",
    "-1",
    "-0.01",
    "1.999",
    "1e3",
    "0x10",
    " 5.00 ",
    "5.",
    ".5",
    "99999999999999999999.99",
    "9".repeat(400),
    "NaN",
    "Infinity",
    "１２",
  ).map((value) => ({ value, label: `money ${JSON.stringify(value.slice(0, 24))}` }));
}

/** Discount rates at and past 0 and 1. */
export function discountText(): fc.Arbitrary<Labeled<string>> {
  return fc.constantFrom("0", "1", "1.0000001", "-0", "-0.0001", "0.15", "1e-400", "1e400", "abc")
    .map((value) => ({ value, label: `discount ${JSON.stringify(value)}` }));
}

/** Ids: well-formed and not, upper-cased, with NUL, too long. */
export function idText(existing: readonly string[]): fc.Arbitrary<Labeled<string>> {
  return fc.oneof(
    fc.uuid().map((value) => ({ value, label: "fresh uuid" })),
    fc.constantFrom(...existing).map((value) => ({ value, label: "existing id" })),
    fc.constantFrom(...existing).map((value) => ({
      value: value.toUpperCase(),
      label: "existing id upper-case",
    })),
    fc.constantFrom<Labeled<string>>(
      { value: "not-a-uuid", label: "id not a uuid" },
      { value: "00000000-0000-0000-0000-000000000000", label: "nil uuid" },
      { value: "00000000-0000-0000-0000-00000000000\u0000", label: "uuid with NUL" },
      { value: "０0000000-0000-0000-0000-000000000000", label: "uuid with fullwidth digit" },
      {
        value: `${"f".repeat(8)}-${"f".repeat(4)}-${"f".repeat(4)}-${"f".repeat(4)}-${
          "f".repeat(13)
        }`,
        label: "uuid too long",
      },
      { value: "{00000000-0000-0000-0000-000000000000}", label: "uuid in braces" },
    ),
  );
}

/** Positions as the audit trail's `after` takes them, and past their digit limits. */
export function positionText(): fc.Arbitrary<Labeled<string>> {
  return fc.constantFrom(
    "0:0",
    "1:1",
    `${"9".repeat(19)}:1`,
    `${"9".repeat(20)}:1`,
    `1:${"9".repeat(20)}`,
    `${"9".repeat(21)}:1`,
    "18446744073709551616:0",
    "-1:0",
    "1:",
    ":1",
    "a:b",
  ).map((value) => ({ value, label: `position ${JSON.stringify(value)}` }));
}
