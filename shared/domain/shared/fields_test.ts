import assert from "node:assert/strict";
import { address, discountRate, orderItems, orderStatus, price, quantity } from "./fields.ts";

Deno.test("price accepts 0.01 and 999999.99 and refuses 0.00, 1000000.00 and three places", () => {
  assert.equal(price.parse(" 0.01 "), "0.01");
  assert.equal(price.parse("999999.99"), "999999.99");
  for (const bad of ["0.00", "1000000.00", "1.999", "-1", "abc"]) {
    const result = price.safeParse(bad);
    assert.equal(result.success, false, bad);
    assert.equal(
      result.error?.issues[0]?.message,
      "must be a decimal with at most 2 places between 0.01 and 999999.99",
    );
  }
  assert.equal(price.safeParse(19.99).success, false, "a number is not a money string");
});

Deno.test("discountRate turns a number or a string into an exact decimal string from 0 to 1", () => {
  assert.equal(discountRate.parse(0.1), "0.1");
  assert.equal(discountRate.parse("0.150"), "0.15");
  assert.equal(discountRate.parse(1), "1");
  for (const bad of [-0.01, "1.01", "x", Number.NaN]) {
    assert.equal(discountRate.safeParse(bad).success, false, String(bad));
  }
});

Deno.test("quantity, orderItems, address and orderStatus hold the domain's limits", () => {
  assert.equal(quantity.safeParse(0).success, false);
  assert.equal(quantity.safeParse(1.5).success, false);
  assert.equal(quantity.safeParse(10_000).success, true);
  assert.equal(orderItems.safeParse([]).success, false);
  assert.equal(address.safeParse({ street: " ", city: "X", postalCode: "1" }).success, false);
  assert.equal(orderStatus.safeParse("payment_pending").success, true);
  assert.equal(orderStatus.safeParse("lost").success, false);
});
