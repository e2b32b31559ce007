import assert from "node:assert/strict";
import {
  decimalFromNumber,
  decimalToCents,
  formatCents,
  formatDecimal,
  multiplyCents,
  parseCents,
  parseDecimal,
  percentOf,
  roundHalfUp,
} from "./money.ts";

Deno.test("parseCents() reads decimals with at most two places", () => {
  assert.equal(parseCents("19.99"), 1999);
  assert.equal(parseCents("19.9"), 1990);
  assert.equal(parseCents("20"), 2000);
  assert.equal(parseCents("0.01"), 1);
  assert.equal(parseCents("999999.99"), 99_999_999);
  assert.equal(parseCents("1000000.00"), 100_000_000);
});

Deno.test("parseCents() refuses three places, signs, exponents, blanks and partial numbers", () => {
  for (const text of ["19.999", "-1", "+1", "1e3", "", " 1", "1.", ".5", "abc", "1,00"]) {
    assert.equal(parseCents(text), null, text);
  }
});

Deno.test("formatCents() writes two places", () => {
  assert.equal(formatCents(1999), "19.99");
  assert.equal(formatCents(5), "0.05");
  assert.equal(formatCents(0), "0.00");
  assert.equal(formatCents(100_000_000), "1000000.00");
  assert.equal(formatCents(-50), "-0.50");
  assert.throws(() => formatCents(1.5), RangeError);
});

Deno.test("roundHalfUp() rounds halves away from zero and everything else to the nearest", () => {
  assert.equal(roundHalfUp(5n, 2n), 3n);
  assert.equal(roundHalfUp(3n, 2n), 2n);
  assert.equal(roundHalfUp(-5n, 2n), -3n);
  assert.equal(roundHalfUp(4n, 3n), 1n);
  assert.equal(roundHalfUp(5n, 3n), 2n);
});

Deno.test("decimalFromNumber() reads a float as the decimal it was written as", () => {
  assert.deepEqual(decimalFromNumber(0.1 + 0.2), { units: 30000000000000004n, scale: 17 });
  assert.equal(formatDecimal(decimalFromNumber(1e-7)), "0.0000001");
  assert.equal(formatDecimal(decimalFromNumber(1e21)), "1000000000000000000000");
  assert.throws(() => decimalFromNumber(Number.NaN), RangeError);
});

Deno.test("decimalToCents() rounds half-up to cents without float error", () => {
  assert.equal(decimalToCents(decimalFromNumber(0.1 + 0.2)), 30);
  assert.equal(decimalToCents(decimalFromNumber(1.005)), 101);
  assert.equal(decimalToCents(decimalFromNumber(19.9)), 1990);
  assert.equal(decimalToCents(parseDecimal("0.004")!), 0);
  assert.equal(decimalToCents(parseDecimal("0.005")!), 1);
});

Deno.test("formatDecimal() writes plain notation without trailing zeros", () => {
  assert.equal(formatDecimal(parseDecimal("0.10")!), "0.1");
  assert.equal(formatDecimal(parseDecimal("1.000")!), "1");
  assert.equal(formatDecimal(parseDecimal("-0.5")!), "-0.5");
  assert.equal(formatDecimal(parseDecimal("12.5e-3")!), "0.0125");
});

Deno.test("multiplyCents() and percentOf() are exact, then half-up", () => {
  assert.equal(multiplyCents(1999, 3, parseDecimal("0.9")!), 5397); // 53.973
  assert.equal(multiplyCents(10, 3, decimalFromNumber(1 - 0.1)), 27);
  assert.equal(percentOf(5, 10), 1); // 0.005 → 0.01
  assert.equal(percentOf(499_999, 10), 50_000); // 499.9999 → 500.00
});
