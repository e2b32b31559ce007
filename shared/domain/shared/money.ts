/**
 * Money and exact decimals. Amounts are integer cents inside the domain and
 * decimal strings with two places ("19.99") in commands, events and the API.
 * Nothing here uses floating-point arithmetic: decimals are bigint units at a
 * power-of-ten scale, rounded half-up (away from zero) to cents.
 */

/** An amount in cents (an integer). */
export type Cents = number;

/** An exact decimal: `units / 10^scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** The smallest price a product may have, in cents (0.01). */
export const MIN_PRICE_CENTS: Cents = 1;
/** The largest price a product may have, in cents (999999.99). */
export const MAX_PRICE_CENTS: Cents = 99_999_999;

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MONEY = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses a decimal text (`"19.99"`, `"-0.5"`, `"1e-7"`) exactly; null when it
 * is not one. Leading or trailing blanks are not accepted.
 */
export function parseDecimal(text: string): Decimal | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  let units = BigInt(whole + fraction);
  let scale = fraction.length - Number(exponent);
  if (!Number.isSafeInteger(scale) || Math.abs(scale) > 1000) return null;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === "-" ? -units : units, scale };
}

/**
 * The exact decimal a JavaScript number was written as: its shortest
 * round-trip text, so `19.9` is 19.9 and `0.1 + 0.2` is 0.30000000000000004.
 */
export function decimalFromNumber(value: number): Decimal {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot read "${value}" as a decimal`);
  const decimal = parseDecimal(String(value));
  if (!decimal) throw new RangeError(`Cannot read "${value}" as a decimal`);
  return decimal;
}

/** Reads a decimal given as text or as a number; null when the text is not a decimal. */
export function toDecimal(value: string | number): Decimal | null {
  if (typeof value === "number") {
    return Number.isFinite(value) ? decimalFromNumber(value) : null;
  }
  return parseDecimal(value.trim());
}

/** Writes a decimal in plain notation without trailing zeros (`"0.125"`, `"1"`). */
export function formatDecimal(decimal: Decimal): string {
  const negative = decimal.units < 0n;
  const digits = (negative ? -decimal.units : decimal.units).toString()
    .padStart(decimal.scale + 1, "0");
  const whole = digits.slice(0, digits.length - decimal.scale);
  const fraction = digits.slice(digits.length - decimal.scale).replace(/0+$/, "");
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && decimal.units !== 0n ? `-${text}` : text;
}

/** Compares two decimals: negative, zero or positive like a sort comparator. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.units * 10n ** BigInt(scale - a.scale);
  const y = b.units * 10n ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `numerator / denominator` rounded half-up (halves away from zero). */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError("Cannot divide by zero");
  if (denominator < 0n) return roundHalfUp(-numerator, -denominator);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const rounded = (2n * n + denominator) / (2n * denominator);
  return negative ? -rounded : rounded;
}

/** A decimal amount of money rounded half-up to cents. */
export function decimalToCents(decimal: Decimal): Cents {
  return toSafeCents(roundHalfUp(decimal.units * 100n, 10n ** BigInt(decimal.scale)));
}

/**
 * Parses a money text with at most two decimals (`"19.99"`, `"19.9"`, `"20"`)
 * to cents; null for anything else (signs, exponents, three decimals, blanks).
 * Range rules are the caller's (see {@link MIN_PRICE_CENTS}).
 */
export function parseCents(text: string): Cents | null {
  const match = MONEY.exec(text);
  if (!match) return null;
  const [, whole = "0", fraction = ""] = match;
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
  return cents > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(cents);
}

/** Writes cents as a decimal text with two places: 1999 → "19.99", -50 → "-0.50". */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`Cannot format "${cents}" as cents`);
  const negative = cents < 0;
  const digits = String(Math.abs(cents)).padStart(3, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** `cents × quantity × factor`, rounded half-up to cents; exact for any decimal factor. */
export function multiplyCents(cents: Cents, quantity: number, factor: Decimal): Cents {
  const numerator = BigInt(cents) * BigInt(quantity) * factor.units;
  return toSafeCents(roundHalfUp(numerator, 10n ** BigInt(factor.scale)));
}

/** `percent`% of an amount, rounded half-up to cents (10% of 0.05 is 0.01). */
export function percentOf(cents: Cents, percent: number): Cents {
  return multiplyCents(cents, 1, { units: BigInt(percent), scale: 2 });
}

function toSafeCents(value: bigint): Cents {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Amount of ${value} cents is too large`);
  }
  return Number(value);
}
