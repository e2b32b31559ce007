import assert from "node:assert/strict";
import { averageText, centsOf, moneyText } from "./money.ts";

Deno.test("centsOf() reads decimal strings exactly and old numbers half-up", () => {
  assert.equal(centsOf("19.99", "price"), 1999);
  assert.equal(centsOf("20", "price"), 2000);
  assert.equal(centsOf(19.9, "price"), 1990);
  assert.equal(centsOf(1.005, "price"), 101);
  assert.throws(() => centsOf(null, "price"), TypeError);
  assert.throws(() => centsOf("abc", "price"), TypeError);
});

Deno.test("moneyText() and averageText() write two places, rounding half-up", () => {
  assert.equal(moneyText("1999"), "19.99");
  assert.equal(moneyText(5), "0.05");
  assert.equal(moneyText(-50n), "-0.50");
  assert.equal(averageText(1000, 3), "3.33");
  assert.equal(averageText(1001, 2), "5.01");
  assert.equal(averageText(0, 0), undefined);
});
