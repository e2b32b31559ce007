import assert from "node:assert/strict";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { id, later } from "@shared/testing/fixtures/shared.ts";
import { productCreated } from "@shared/testing/fixtures/product.ts";
import { productDecider } from "./mod.ts";
import type { ProductEvent } from "./types.ts";

const T = later(60);
const product = spec(productDecider);
const archived: ProductEvent = { type: "ProductArchived", data: { id: id(1), archivedAt: T } };
const archive = { type: "ArchiveProduct", id: id(1), at: T } as const;
const restore = { type: "RestoreProduct", id: id(1), at: T } as const;

Deno.test("decide() archives a live product, which keeps its fields", () => {
  const state = product.given([productCreated("100.00")]).when(archive).then([archived]);
  assert.equal(state?.archived, true);
  assert.equal(state?.deleted, false);
  assert.equal(state?.price, 10000);
  assert.equal(state?.version, 2);
});

Deno.test("decide() refuses to archive an archived product", () => {
  product.given([productCreated(), archived]).when(archive).thenThrows(
    PreconditionError,
    /Cannot archive product "Runner": it is already archived/,
    { field: "id" },
  );
});

Deno.test("decide() restores an archived product", () => {
  const state = product.given([productCreated(), archived]).when(restore).then([{
    type: "ProductRestored",
    data: { id: id(1), restoredAt: T },
  }]);
  assert.equal(state?.archived, false);
  assert.equal(state?.version, 3);
});

Deno.test("decide() refuses to restore a product that is not archived", () => {
  product.given([productCreated()]).when(restore).thenThrows(
    PreconditionError,
    /Cannot restore product "Runner": it is not archived/,
    { field: "id" },
  );
});

Deno.test("decide() refuses to archive or restore a missing or deleted product", () => {
  product.when(archive).thenThrows(NotFoundError, /archive product .*: it does not exist/);
  const deleted: ProductEvent = {
    type: "ProductDeleted",
    data: { id: id(1), reason: null, deletedAt: T },
  };
  product.given([productCreated(), archived, deleted]).when(restore).thenThrows(
    PreconditionError,
    /Cannot restore product "Runner": it is deleted/,
  );
});
