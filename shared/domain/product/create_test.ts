import assert from "node:assert/strict";
import {
  ConflictError,
  NotFoundError,
  PreconditionError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id } from "@shared/testing/fixtures/shared.ts";
import { liveCategory, productCreated } from "@shared/testing/fixtures/product.ts";
import { productDecider } from "./mod.ts";
import type { CreateProduct } from "./types.ts";

const given = spec(productDecider);

function create(fields: Partial<CreateProduct> = {}): CreateProduct {
  return {
    type: "CreateProduct",
    id: id(1),
    name: "Runner",
    price: "19.99",
    categoryId: id(50),
    category: liveCategory(),
    at: AT,
    ...fields,
  };
}

Deno.test("decide() creates a product with its price as a decimal string", () => {
  const state = given.when(create({ name: " Runner ", description: "Light", price: "19.9" })).then(
    [{
      type: "ProductCreated",
      data: {
        id: id(1),
        name: "Runner",
        description: "Light",
        price: "19.90",
        categoryId: id(50),
        createdAt: AT,
      },
    }],
  );
  assert.equal(state?.price, 1990);
});

Deno.test("decide() accepts a product name of 200 characters", () => {
  given.when(create({ name: "n".repeat(200) })).thenAssert((events) =>
    assert.equal(events.length, 1)
  );
});

Deno.test("decide() refuses a product name of 201 characters", () => {
  given.when(create({ name: "n".repeat(201) })).thenThrows(
    ValidationError,
    /name: must be at most 200 characters, got 201/,
    { field: "name" },
  );
});

Deno.test("decide() refuses a product name that is blank", () => {
  given.when(create({ name: " \t " })).thenThrows(ValidationError, /must not be empty/, {
    field: "name",
  });
});

for (const price of ["0.01", "999999.99"]) {
  Deno.test(`decide() accepts a price of ${price}`, () => {
    given.when(create({ price })).thenAssert((events) =>
      assert.equal(events[0]?.type === "ProductCreated" && events[0].data.price, price)
    );
  });
}

Deno.test("decide() refuses a price below 0.01", () => {
  given.when(create({ price: "0.00" })).thenThrows(
    ValidationError,
    /price: must be a decimal with at most 2 places between 0.01 and 999999.99, got "0.00"/,
    { field: "price" },
  );
});

Deno.test("decide() refuses a price above 999999.99", () => {
  given.when(create({ price: "1000000.00" })).thenThrows(ValidationError, /got "1000000.00"/, {
    field: "price",
  });
});

for (const price of ["19.999", "-1.00", "1e3", "abc", "", "19."]) {
  Deno.test(`decide() refuses a price that is not a decimal with at most 2 places: "${price}"`, () => {
    given.when(create({ price })).thenThrows(ValidationError, /must be a decimal/, {
      field: "price",
    });
  });
}

Deno.test("decide() refuses a category that does not exist", () => {
  given.when(create({ category: undefined })).thenThrows(
    NotFoundError,
    /Cannot create product "Runner": category ".+" does not exist/,
    { field: "categoryId" },
  );
});

Deno.test("decide() refuses a deleted category", () => {
  given.when(create({ category: liveCategory(50, "Old", true) })).thenThrows(
    PreconditionError,
    /category "Old" is deleted/,
    { field: "categoryId" },
  );
});

Deno.test("decide() refuses to create a product whose id already exists", () => {
  given.given([productCreated()]).when(create()).thenThrows(ConflictError, /already exists/, {
    field: "id",
  });
});
