import assert from "node:assert/strict";
import { NotFoundError, PreconditionError, ValidationError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { id, later } from "@shared/testing/fixtures/shared.ts";
import { category, created } from "@shared/testing/fixtures/category.ts";
import { categoryDecider } from "./mod.ts";
import type { DeleteCategory } from "./types.ts";

const given = spec(categoryDecider).given([created(id(1), "Shoes")]);
const T = later(60);

function remove(fields: Partial<DeleteCategory> = {}): DeleteCategory {
  return { type: "DeleteCategory", id: id(1), childCount: 0, productIds: [], at: T, ...fields };
}

Deno.test("decide() deletes a category with no subcategories and no products", () => {
  const state = given.when(remove({ reason: "  Discontinued " })).then([{
    type: "CategoryDeleted",
    data: { id: id(1), reason: "Discontinued", deletedAt: T },
  }]);
  assert.equal(state?.deleted, true);
});

Deno.test("decide() records a null reason when none is given", () => {
  given.when(remove()).then([{
    type: "CategoryDeleted",
    data: { id: id(1), reason: null, deletedAt: T },
  }]);
});

Deno.test("decide() refuses to delete a category that has subcategories", () => {
  given.when(remove({ childCount: 2 })).thenThrows(
    PreconditionError,
    /Cannot delete category "Shoes": it has 2 subcategories/,
    { field: "id" },
  );
});

Deno.test("decide() refuses to delete a category with live products when no reassignment is named", () => {
  given.when(remove({ productIds: [id(10)] })).thenThrows(
    PreconditionError,
    /Cannot delete category "Shoes": it has 1 live product; name another live category in reassignProductsTo/,
    { field: "reassignProductsTo" },
  );
});

Deno.test("decide() reassigns the live products first, then deletes the category", () => {
  const target = category(id(2), "Footwear");
  given.when(
    remove({ productIds: [id(10), id(11)], reassignProductsTo: id(2), target, reason: "Merged" }),
  ).then([
    {
      type: "CategoryProductsReassigned",
      data: { from: id(1), to: id(2), productIds: [id(10), id(11)], reassignedAt: T },
    },
    { type: "CategoryDeleted", data: { id: id(1), reason: "Merged", deletedAt: T } },
  ]);
});

Deno.test("decide() deletes without reassigning when a named target is live but there are no products", () => {
  const target = category(id(2), "Footwear");
  given.when(remove({ reassignProductsTo: id(2), target })).thenAssert((events) =>
    assert.deepEqual(events.map((e) => e.type), ["CategoryDeleted"])
  );
});

Deno.test("decide() refuses to reassign products to the category being deleted", () => {
  given.when(remove({ productIds: [id(10)], reassignProductsTo: id(1) })).thenThrows(
    ValidationError,
    /reassignProductsTo: must name another category/,
    { field: "reassignProductsTo" },
  );
});

Deno.test("decide() refuses to reassign products to a category that does not exist", () => {
  given.when(remove({ productIds: [id(10)], reassignProductsTo: id(2) })).thenThrows(
    NotFoundError,
    /category ".+" does not exist/,
    { field: "reassignProductsTo" },
  );
});

Deno.test("decide() refuses to reassign products to a deleted category", () => {
  const target = category(id(2), "Old", [], { deleted: true });
  given.when(remove({ productIds: [id(10)], reassignProductsTo: id(2), target })).thenThrows(
    PreconditionError,
    /category "Old" is deleted/,
    { field: "reassignProductsTo" },
  );
});

Deno.test("decide() refuses to delete a category that does not exist", () => {
  spec(categoryDecider).when(remove()).thenThrows(NotFoundError, /does not exist/, {
    field: "id",
  });
});
