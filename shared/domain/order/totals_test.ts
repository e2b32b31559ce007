import assert from "node:assert/strict";
import { parseDecimal } from "../shared/money.ts";
import { lineTotal, orderTotals } from "./totals.ts";

const rate = (text: string) => parseDecimal(text)!;

Deno.test("orderTotals() charges 500.00 shipping below a subtotal of 5000.00", () => {
  assert.deepEqual(orderTotals([{ quantity: 1, unitPrice: 499_999, discountRate: rate("0") }]), {
    lineTotals: [499_999],
    subtotal: 499_999,
    tax: 50_000,
    shipping: 50_000,
    total: 599_999,
  });
});

Deno.test("orderTotals() ships free at a subtotal of exactly 5000.00", () => {
  const totals = orderTotals([{ quantity: 1, unitPrice: 500_000, discountRate: rate("0") }]);
  assert.equal(totals.shipping, 0);
  assert.equal(totals.total, 550_000);
});

Deno.test("orderTotals() judges free shipping on the discounted subtotal", () => {
  // 2 × 2777.78 × 0.9 = 5000.004 → 5000.00: free
  const totals = orderTotals([{ quantity: 2, unitPrice: 277_778, discountRate: rate("0.1") }]);
  assert.equal(totals.subtotal, 500_000);
  assert.equal(totals.shipping, 0);
});

Deno.test("lineTotal() rounds a half cent up", () => {
  assert.equal(lineTotal({ quantity: 1, unitPrice: 1, discountRate: rate("0.5") }), 1);
  assert.equal(lineTotal({ quantity: 3, unitPrice: 333, discountRate: rate("0.5") }), 500); // 499.5
  assert.equal(lineTotal({ quantity: 1, unitPrice: 1999, discountRate: rate("0.125") }), 1749); // 1749.125
});

Deno.test("lineTotal() is exact for a long discount rate", () => {
  // 1 × 999999.99 × (1 - 0.3333333333333333) = 666666.6600000000333... → 666666.66
  assert.equal(
    lineTotal({ quantity: 1, unitPrice: 99_999_999, discountRate: rate("0.3333333333333333") }),
    66_666_666,
  );
});
