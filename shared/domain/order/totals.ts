import { type Cents, type Decimal, multiplyCents, percentOf } from "../shared/money.ts";

/** Tax rate, in percent of the subtotal. */
export const TAX_PERCENT = 10;
/** From this subtotal (5000.00) on, shipping is free. */
export const FREE_SHIPPING_FROM: Cents = 500_000;
/** Shipping below {@link FREE_SHIPPING_FROM}: 500.00. */
export const SHIPPING_FEE: Cents = 50_000;

/** What a line's total is computed from. */
export interface LinePricing {
  quantity: number;
  unitPrice: Cents;
  /** 0 to 1, exact. */
  discountRate: Decimal;
}

/** The amounts of an order, in cents. */
export interface OrderTotals {
  lineTotals: Cents[];
  subtotal: Cents;
  tax: Cents;
  shipping: Cents;
  total: Cents;
}

/** quantity × unitPrice × (1 − discountRate), rounded half-up to cents. */
export function lineTotal(line: LinePricing): Cents {
  const { units, scale } = line.discountRate;
  const remaining = { units: 10n ** BigInt(scale) - units, scale };
  return multiplyCents(line.unitPrice, line.quantity, remaining);
}

/**
 * The totals of DOMAIN.md: the subtotal sums the lines (each rounded
 * half-up to cents), tax is 10% of it half-up, shipping is free from
 * 5000.00 and 500.00 below, and the total adds the three.
 */
export function orderTotals(lines: readonly LinePricing[]): OrderTotals {
  const lineTotals = lines.map(lineTotal);
  const subtotal = lineTotals.reduce((sum, cents) => sum + cents, 0);
  const tax = percentOf(subtotal, TAX_PERCENT);
  const shipping = subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FEE;
  return { lineTotals, subtotal, tax, shipping, total: subtotal + tax + shipping };
}
