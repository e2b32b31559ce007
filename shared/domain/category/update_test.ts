import assert from "node:assert/strict";
import {
  ConflictError,
  NotFoundError,
  PreconditionError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import { category, chain, created } from "@shared/testing/fixtures/category.ts";
import { categoryDecider } from "./mod.ts";
import type { CategoryEvent, UpdateCategory } from "./types.ts";

const given = spec(categoryDecider);
const clothing = { id: id(2), name: "Clothing" };
const shoes = created(id(1), "Shoes", [clothing]);
const T = later(60);

function update(fields: Partial<UpdateCategory> = {}): UpdateCategory {
  return { type: "UpdateCategory", id: id(1), at: T, ...fields };
}

Deno.test("decide() renames a category, with old and new name and the new path", () => {
  const state = given.given([shoes]).when(update({ name: " Sneakers " })).then([{
    type: "CategoryUpdated",
    data: {
      id: id(1),
      oldName: "Shoes",
      newName: "Sneakers",
      oldDescription: null,
      newDescription: null,
      path: [clothing, { id: id(1), name: "Sneakers" }],
      updatedAt: T,
    },
  }]);
  assert.equal(state?.name, "Sneakers");
  assert.deepEqual(state?.path.at(-1), { id: id(1), name: "Sneakers" });
  assert.equal(state?.version, 2);
});

Deno.test("decide() emits nothing for an update that changes nothing", () => {
  given.given([shoes]).when(update({ name: "Shoes ", description: "", parentId: id(2) }))
    .thenNothing();
});

Deno.test("decide() accepts a new name of 100 characters", () => {
  given.given([shoes]).when(update({ name: "b".repeat(100) })).thenAssert((events) =>
    assert.equal(events.length, 1)
  );
});

Deno.test("decide() refuses a new name of 101 characters", () => {
  given.given([shoes]).when(update({ name: "b".repeat(101) })).thenThrows(
    ValidationError,
    /must be at most 100 characters/,
    { field: "name" },
  );
});

Deno.test("decide() refuses a new name that is blank after trimming", () => {
  given.given([shoes]).when(update({ name: " \t " })).thenThrows(
    ValidationError,
    /must not be empty/,
    { field: "name" },
  );
});

Deno.test("decide() refuses a new name a sibling already has, whatever its case", () => {
  const siblings = [{ id: id(1), name: "Shoes" }, { id: id(3), name: "Boots" }];
  given.given([shoes]).when(update({ name: "BOOTS", siblings })).thenThrows(
    ConflictError,
    /Cannot rename category "BOOTS": a sibling named "Boots" already exists/,
    { field: "name" },
  );
});

Deno.test("decide() allows changing only the case of a category's own name", () => {
  const siblings = [{ id: id(1), name: "Shoes" }];
  given.given([shoes]).when(update({ name: "SHOES", siblings })).thenAssert((events) =>
    assert.equal(events[0]?.type, "CategoryUpdated")
  );
});

Deno.test("decide() changes the description alone", () => {
  given.given([shoes]).when(update({ description: "Footwear" })).thenAssert((events) => {
    assert.equal(events.length, 1);
    const data = events[0]?.type === "CategoryUpdated" ? events[0].data : undefined;
    assert.equal(data?.oldName, "Shoes");
    assert.equal(data?.newName, "Shoes");
    assert.equal(data?.newDescription, "Footwear");
  });
});

Deno.test("decide() moves a category under another parent with CategoryMoved", () => {
  const sport = category(id(3), "Sport");
  const state = given.given([shoes]).when(
    update({ parentId: id(3), parent: sport, subtreeHeight: 1 }),
  ).then([{
    type: "CategoryMoved",
    data: {
      id: id(1),
      oldParentId: id(2),
      newParentId: id(3),
      oldPath: [clothing, { id: id(1), name: "Shoes" }],
      newPath: [{ id: id(3), name: "Sport" }, { id: id(1), name: "Shoes" }],
      oldDepth: 2,
      newDepth: 2,
      movedAt: T,
    },
  }]);
  assert.equal(state?.parentId, id(3));
});

Deno.test("decide() moves a category to the root when parentId is null", () => {
  const state = given.given([shoes]).when(update({ parentId: null, subtreeHeight: 0 }))
    .thenAssert(() => {});
  assert.equal(state?.parentId, null);
  assert.equal(state?.depth, 1);
  assert.deepEqual(state?.path, [{ id: id(1), name: "Shoes" }]);
});

Deno.test("decide() renames and moves at once: CategoryUpdated, then CategoryMoved with the new name", () => {
  const sport = category(id(3), "Sport");
  given.given([shoes]).when(
    update({ name: "Trainers", parentId: id(3), parent: sport, subtreeHeight: 0 }),
  ).thenAssert((events, state) => {
    assert.deepEqual(events.map((e) => e.type), ["CategoryUpdated", "CategoryMoved"]);
    assert.deepEqual(state?.path, [{ id: id(3), name: "Sport" }, { id: id(1), name: "Trainers" }]);
  });
});

Deno.test("decide() refuses moving a category under itself (cycle)", () => {
  given.given([shoes]).when(
    update({ parentId: id(1), parent: category(id(1), "Shoes", [clothing]), subtreeHeight: 0 }),
  ).thenThrows(PreconditionError, /Cannot move category "Shoes": it would create a cycle/, {
    field: "parentId",
  });
});

Deno.test("decide() refuses moving a category under its own descendant (cycle)", () => {
  const shoesSegment = { id: id(1), name: "Shoes" };
  const running = category(id(4), "Running", [clothing, shoesSegment]);
  const trail = category(id(5), "Trail", running.path);
  given.given([shoes]).when(update({ parentId: id(5), parent: trail, subtreeHeight: 2 }))
    .thenThrows(
      PreconditionError,
      /Cannot move category "Shoes": it would create a cycle \("Trail" is its descendant\)/,
      { field: "parentId" },
    );
});

Deno.test("decide() accepts a move that puts the deepest descendant at depth 5", () => {
  const target = chain(2).at(-1)!; // depth 2: Shoes lands at 3, its subtree of height 2 at 5
  given.given([shoes]).when(update({ parentId: target.id, parent: target, subtreeHeight: 2 }))
    .thenAssert((events) => assert.equal(events[0]?.type, "CategoryMoved"));
});

Deno.test("decide() refuses a move that would push a descendant to depth 6", () => {
  const target = chain(3).at(-1)!; // depth 3: Shoes lands at 4, its subtree of height 2 at 6
  given.given([shoes]).when(update({ parentId: target.id, parent: target, subtreeHeight: 2 }))
    .thenThrows(
      PreconditionError,
      /Cannot move category "Shoes": a descendant would sit at depth 6, deeper than 5/,
      { field: "parentId" },
    );
});

Deno.test("decide() refuses a move that would put a leaf at depth 6", () => {
  const target = chain(5).at(-1)!;
  given.given([shoes]).when(update({ parentId: target.id, parent: target, subtreeHeight: 0 }))
    .thenThrows(PreconditionError, /it would sit at depth 6/, { field: "parentId" });
});

Deno.test("decide() refuses a move under a parent that does not exist", () => {
  given.given([shoes]).when(update({ parentId: id(9), subtreeHeight: 0 })).thenThrows(
    NotFoundError,
    /parent ".+" does not exist/,
    { field: "parentId" },
  );
});

Deno.test("decide() refuses a move under a deleted parent", () => {
  const gone = category(id(3), "Gone", [], { deleted: true });
  given.given([shoes]).when(update({ parentId: id(3), parent: gone, subtreeHeight: 0 }))
    .thenThrows(PreconditionError, /parent "Gone" is deleted/, { field: "parentId" });
});

Deno.test("decide() refuses a move under a parent that already has a child of that name", () => {
  const sport = category(id(3), "Sport");
  given.given([shoes]).when(
    update({
      parentId: id(3),
      parent: sport,
      subtreeHeight: 0,
      siblings: [{ id: id(7), name: "shoes" }],
    }),
  ).thenThrows(ConflictError, /Cannot move category "Shoes": a sibling named "shoes"/, {
    field: "name",
  });
});

Deno.test("decide() refuses to update a category that does not exist", () => {
  given.when(update({ name: "X" })).thenThrows(NotFoundError, /does not exist/, { field: "id" });
});

const deleted: CategoryEvent = {
  type: "CategoryDeleted",
  data: { id: id(1), reason: null, deletedAt: AT },
};

for (
  const command of [
    update({ name: "Boots" }),
    { type: "RebaseCategory", id: id(1), parentPath: [clothing], at: T } as const,
    { type: "DeleteCategory", id: id(1), childCount: 0, productIds: [], at: T } as const,
  ]
) {
  Deno.test(`decide() refuses ${command.type} on a deleted category`, () => {
    given.given([shoes, deleted]).when(command).thenThrows(
      PreconditionError,
      /category "Shoes": it is deleted/,
      { field: "id" },
    );
  });
}

Deno.test("decide() makes a descendant's path follow its ancestor's rename", () => {
  const running = created(id(4), "Running", [clothing, { id: id(1), name: "Shoes" }]);
  const parentPath = [clothing, { id: id(1), name: "Sneakers" }];
  given.given([running]).when({ type: "RebaseCategory", id: id(4), parentPath, at: T }).then([{
    type: "CategoryPathChanged",
    data: {
      id: id(4),
      oldPath: running.data.path,
      newPath: [...parentPath, { id: id(4), name: "Running" }],
      depth: 3,
      changedAt: T,
    },
  }]);
});

Deno.test("decide() emits nothing when a descendant's path is already current", () => {
  given.given([shoes]).when({ type: "RebaseCategory", id: id(1), parentPath: [clothing], at: T })
    .thenNothing();
});

Deno.test("decide() refuses a rebase whose path does not end at the parent", () => {
  given.given([shoes]).when({
    type: "RebaseCategory",
    id: id(1),
    parentPath: [{ id: id(3), name: "Sport" }],
    at: T,
  }).thenThrows(PreconditionError, /not at its parent/, { field: "parentPath" });
});
