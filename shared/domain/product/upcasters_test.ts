import assert from "node:assert/strict";
import { upcast } from "@shared/event_store/upcast.ts";
import { upcasters } from "../upcasters.ts";
import { evolve } from "./evolve.ts";
import { priceFromV1, productUpcasters } from "./upcasters.ts";
import type { ProductEvent } from "./types.ts";

const v1Created = {
  id: "00000000-0000-4000-8000-000000000001",
  name: "Runner",
  description: null,
  price: 19.99,
  categoryId: "00000000-0000-4000-8000-000000000050",
  createdAt: "2023-01-01T00:00:00.000Z",
};

Deno.test("upcast() lifts a v1 ProductCreated with a numeric price to v2 with a decimal string", () => {
  const lifted = upcast(upcasters, { type: "ProductCreated", schemaVersion: 1, data: v1Created });
  assert.equal(lifted.schemaVersion, 2);
  assert.deepEqual(lifted.data, { ...v1Created, price: "19.99" });
  const state = evolve(null, lifted as unknown as ProductEvent);
  assert.equal(state?.price, 1999);
});

Deno.test("upcast() leaves a v2 ProductCreated as it is", () => {
  const data = { ...v1Created, price: "19.99" };
  const lifted = upcast(productUpcasters, { type: "ProductCreated", schemaVersion: 2, data });
  assert.deepEqual(lifted, { type: "ProductCreated", schemaVersion: 2, data });
});

for (
  const [price, expected] of [
    [19.9, "19.90"],
    [19, "19.00"],
    [0.1 + 0.2, "0.30"],
    [1.005, "1.01"],
    [2.675, "2.68"],
    [999999.99, "999999.99"],
    [0.004, "0.00"],
    [1e-7, "0.00"],
    ["12.345", "12.35"],
  ] as const
) {
  Deno.test(`priceFromV1() turns ${JSON.stringify(price)} into "${expected}" (half-up to cents)`, () => {
    assert.equal(priceFromV1(price, "price"), expected);
  });
}

Deno.test("priceFromV1() refuses a value that is not a number", () => {
  assert.throws(
    () => priceFromV1(null, "ProductCreated.price"),
    /Cannot upcast ProductCreated\.price null/,
  );
  assert.throws(() => priceFromV1(Number.NaN, "price"), TypeError);
});

Deno.test("upcast() lifts the prices of a v1 ProductUpdated and ProductPriceChanged", () => {
  const updated = upcast(productUpcasters, {
    type: "ProductUpdated",
    schemaVersion: 1,
    data: { id: v1Created.id, changes: { price: 0.1 + 0.2, name: "X" }, updatedAt: "t" },
  });
  assert.deepEqual(updated.data, {
    id: v1Created.id,
    changes: { price: "0.30", name: "X" },
    previous: {},
    updatedAt: "t",
  });
  const changed = upcast(productUpcasters, {
    type: "ProductPriceChanged",
    schemaVersion: 1,
    data: { id: v1Created.id, oldPrice: 10, newPrice: 19.9, changeReason: null, changedAt: "t" },
  });
  assert.deepEqual(changed.data, {
    id: v1Created.id,
    oldPrice: "10.00",
    newPrice: "19.90",
    changeReason: null,
    changedAt: "t",
  });
});
