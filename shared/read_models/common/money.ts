import { decimalToCents, roundHalfUp, toDecimal } from "@shared/domain/shared/money.ts";

/**
 * The cents of an amount as an event carries it: a decimal string ("19.99"),
 * or a JSON number when an old (schema v1) event was not upcast. Rounded
 * half-up to cents, exactly; anything else is a poison event and throws.
 */
export function centsOf(value: unknown, field: string): number {
  const decimal = typeof value === "string" || typeof value === "number" ? toDecimal(value) : null;
  if (!decimal) throw new TypeError(`Cannot read ${field} ${JSON.stringify(value)} as money`);
  return decimalToCents(decimal);
}

/**
 * Formats cents as the read model returns them (bigint and numeric columns
 * arrive as strings) into a decimal with two places: "1999" → "19.99".
 */
export function moneyText(cents: string | number | bigint): string {
  const value = BigInt(cents);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(3, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** `sum / count` in cents, rounded half-up, as "19.99"; undefined when there is nothing to average. */
export function averageText(
  sum: string | number | bigint,
  count: string | number | bigint,
): string | undefined {
  const n = BigInt(count);
  return n === 0n ? undefined : moneyText(roundHalfUp(BigInt(sum), n));
}
