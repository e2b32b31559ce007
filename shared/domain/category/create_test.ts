import assert from "node:assert/strict";
import {
  ConflictError,
  NotFoundError,
  PreconditionError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id } from "@shared/testing/fixtures/shared.ts";
import { category, chain, created } from "@shared/testing/fixtures/category.ts";
import { categoryDecider } from "./mod.ts";
import type { CreateCategory } from "./types.ts";

const given = spec(categoryDecider);

function create(fields: Partial<CreateCategory> = {}): CreateCategory {
  return { type: "CreateCategory", id: id(1), name: "Shoes", at: AT, ...fields };
}

Deno.test("decide() creates a root category at depth 1", () => {
  const state = given.when(create({ description: "  Footwear " })).then([{
    type: "CategoryCreated",
    data: {
      id: id(1),
      name: "Shoes",
      description: "Footwear",
      parentId: null,
      path: [{ id: id(1), name: "Shoes" }],
      depth: 1,
      createdAt: AT,
    },
  }]);
  assert.equal(state?.version, 1);
  assert.equal(state?.deleted, false);
});

Deno.test("decide() trims the name before storing it", () => {
  given.when(create({ name: "  Shoes  " })).thenAssert((events) => {
    assert.equal(events[0]?.type === "CategoryCreated" && events[0].data.name, "Shoes");
  });
});

Deno.test("decide() accepts a name of 100 characters", () => {
  const name = "a".repeat(100);
  given.when(create({ name })).thenAssert((events) => assert.equal(events.length, 1));
});

Deno.test("decide() refuses a name of 101 characters", () => {
  given.when(create({ name: "a".repeat(101) })).thenThrows(
    ValidationError,
    /name: must be at most 100 characters, got 101/,
    { field: "name" },
  );
});

Deno.test("decide() refuses a name that is blank after trimming", () => {
  given.when(create({ name: "   " })).thenThrows(ValidationError, /must not be empty/, {
    field: "name",
  });
});

Deno.test("decide() refuses a name a sibling already has, whatever its case", () => {
  given.when(create({ name: "SHOES", siblings: [{ id: id(9), name: "shoes" }] })).thenThrows(
    ConflictError,
    /Cannot create category "SHOES": a sibling named "shoes" already exists/,
    { field: "name" },
  );
});

Deno.test("decide() creates a category under a live parent", () => {
  const parent = category(id(2), "Clothing");
  given.when(create({ parentId: id(2), parent })).thenAssert((events) => {
    const data = events[0]?.type === "CategoryCreated" ? events[0].data : undefined;
    assert.equal(data?.parentId, id(2));
    assert.deepEqual(data?.path, [{ id: id(2), name: "Clothing" }, { id: id(1), name: "Shoes" }]);
    assert.equal(data?.depth, 2);
  });
});

Deno.test("decide() takes the parent from its state when no parentId is given", () => {
  const parent = category(id(2), "Clothing");
  given.when(create({ parent })).thenAssert((events) => {
    assert.equal(events[0]?.type === "CategoryCreated" && events[0].data.parentId, id(2));
  });
});

Deno.test("decide() refuses a parent that does not exist", () => {
  given.when(create({ parentId: id(2) })).thenThrows(
    NotFoundError,
    /Cannot create category "Shoes": parent ".+" does not exist/,
    { field: "parentId" },
  );
});

Deno.test("decide() refuses a deleted parent", () => {
  const parent = category(id(2), "Clothing", [], { deleted: true });
  given.when(create({ parentId: id(2), parent })).thenThrows(
    PreconditionError,
    /parent "Clothing" is deleted/,
    { field: "parentId" },
  );
});

Deno.test("decide() accepts a category at depth 5", () => {
  const parent = chain(4).at(-1)!;
  given.when(create({ parentId: parent.id, parent })).thenAssert((events) => {
    assert.equal(events[0]?.type === "CategoryCreated" && events[0].data.depth, 5);
  });
});

Deno.test("decide() refuses a category at depth 6", () => {
  const parent = chain(5).at(-1)!;
  given.when(create({ parentId: parent.id, parent })).thenThrows(
    PreconditionError,
    /Cannot create category "Shoes": it would sit at depth 6, deeper than 5/,
    { field: "parentId" },
  );
});

Deno.test("decide() refuses to create a category whose id already exists", () => {
  given.given([created(id(1), "Shoes")]).when(create({ name: "Boots" })).thenThrows(
    ConflictError,
    /already exists/,
    { field: "id" },
  );
});

Deno.test("decide() accepts a name of 100 emoji: characters are counted in code points", () => {
  given.when(create({ name: "😀".repeat(100) })).thenAssert((events) =>
    assert.equal(events.length, 1)
  );
  given.when(create({ name: "😀".repeat(101) })).thenThrows(
    ValidationError,
    /name: must be at most 100 characters, got 101/,
    { field: "name" },
  );
});
