import assert from "node:assert/strict";
import { NotFoundError, PreconditionError, ValidationError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { id, later } from "@shared/testing/fixtures/shared.ts";
import { liveCategory, productCreated } from "@shared/testing/fixtures/product.ts";
import { productDecider } from "./mod.ts";
import type { ProductEvent, UpdateProduct } from "./types.ts";

const T = later(60);
const given = spec(productDecider).given([productCreated("100.00")]);

function update(fields: Partial<UpdateProduct> = {}): UpdateProduct {
  return { type: "UpdateProduct", id: id(1), at: T, ...fields };
}

Deno.test("decide() updates the changed fields only, with their previous values", () => {
  const state = given.when(update({ name: "Runner", description: "Light" })).then([{
    type: "ProductUpdated",
    data: {
      id: id(1),
      changes: { description: "Light" },
      previous: { description: null },
      updatedAt: T,
    },
  }]);
  assert.equal(state?.description, "Light");
  assert.equal(state?.version, 2);
});

Deno.test("decide() emits nothing for an update that changes nothing", () => {
  given.when(update({ name: " Runner ", price: "100", categoryId: id(50), description: "" }))
    .thenNothing();
});

Deno.test("decide() records a price change just under 10% with ProductUpdated alone", () => {
  const state = given.when(update({ price: "109.99" })).then([{
    type: "ProductUpdated",
    data: { id: id(1), changes: { price: "109.99" }, previous: { price: "100.00" }, updatedAt: T },
  }]);
  assert.equal(state?.price, 10999);
});

Deno.test("decide() also emits ProductPriceChanged for a price change of exactly 10%", () => {
  given.when(update({ price: "110.00", changeReason: " Supplier raise " })).then([
    {
      type: "ProductUpdated",
      data: {
        id: id(1),
        changes: { price: "110.00" },
        previous: { price: "100.00" },
        updatedAt: T,
      },
    },
    {
      type: "ProductPriceChanged",
      data: {
        id: id(1),
        oldPrice: "100.00",
        newPrice: "110.00",
        changeReason: "Supplier raise",
        changedAt: T,
      },
    },
  ]);
});

Deno.test("decide() emits ProductPriceChanged for a drop of exactly 10%, not for one just under", () => {
  given.when(update({ price: "90.00" })).thenAssert((events) =>
    assert.deepEqual(events.map((e) => e.type), ["ProductUpdated", "ProductPriceChanged"])
  );
  given.when(update({ price: "90.01" })).thenAssert((events) =>
    assert.deepEqual(events.map((e) => e.type), ["ProductUpdated"])
  );
});

Deno.test("decide() refuses an updated price below 0.01 or above 999999.99", () => {
  given.when(update({ price: "0.00" })).thenThrows(ValidationError, /price: must be a decimal/, {
    field: "price",
  });
  given.when(update({ price: "1000000.00" })).thenThrows(ValidationError, /price/, {
    field: "price",
  });
});

Deno.test("decide() refuses an updated name of 201 characters and accepts 200", () => {
  given.when(update({ name: "x".repeat(201) })).thenThrows(ValidationError, /at most 200/, {
    field: "name",
  });
  given.when(update({ name: "x".repeat(200) })).thenAssert((events) =>
    assert.equal(events.length, 1)
  );
});

Deno.test("decide() refuses an updated name that is blank after trimming", () => {
  given.when(update({ name: "   " })).thenThrows(ValidationError, /must not be empty/, {
    field: "name",
  });
});

Deno.test("decide() moves a product to another live category", () => {
  const state = given.when(update({ categoryId: id(51), category: liveCategory(51, "Boots") }))
    .thenAssert(() => {});
  assert.equal(state?.categoryId, id(51));
});

Deno.test("decide() refuses a move to a category that does not exist or is deleted", () => {
  given.when(update({ categoryId: id(51) })).thenThrows(NotFoundError, /does not exist/, {
    field: "categoryId",
  });
  given.when(update({ categoryId: id(51), category: liveCategory(51, "Old", true) })).thenThrows(
    PreconditionError,
    /category "Old" is deleted/,
    { field: "categoryId" },
  );
});

Deno.test("decide() deletes a product with its reason", () => {
  const state = given.when({ type: "DeleteProduct", id: id(1), reason: "Recalled", at: T }).then([{
    type: "ProductDeleted",
    data: { id: id(1), reason: "Recalled", deletedAt: T },
  }]);
  assert.equal(state?.deleted, true);
});

const deleted: ProductEvent = {
  type: "ProductDeleted",
  data: { id: id(1), reason: null, deletedAt: T },
};

for (
  const command of [
    update({ name: "Other" }),
    { type: "DeleteProduct", id: id(1), at: T } as const,
  ]
) {
  Deno.test(`decide() refuses ${command.type} on a deleted product`, () => {
    spec(productDecider).given([productCreated(), deleted]).when(command).thenThrows(
      PreconditionError,
      /product "Runner": it is deleted/,
      { field: "id" },
    );
  });
}

Deno.test("decide() refuses to update a product that does not exist", () => {
  spec(productDecider).when(update({ name: "X" })).thenThrows(NotFoundError, /does not exist/, {
    field: "id",
  });
});
