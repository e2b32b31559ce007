import { categoryCommands } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import * as product from "@shared/domain/product/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { ConflictError } from "@shared/errors/mod.ts";
import { categories, load, type Loaded, products } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import type { Write } from "@shared/application/commit.ts";
import { defineCommand } from "../deps.ts";
import {
  liveChildCount,
  lockCategories,
  markCategoryDeleted,
  requireCategory,
} from "../lookups/categories.ts";
import { liveProductIds, moveProducts } from "../lookups/products.ts";

/**
 * DeleteCategory. The decider gets the live child count and live products
 * from the lookup tables, and the reassignment target. When it reassigns,
 * every product moves (UpdateProduct) in the same transaction as the
 * deletion: all streams or none. In that transaction the category's row is
 * locked first, so no child or product can join it any more, and the decider
 * runs again on the children and products counted under that lock.
 */
export const deleteCategory = defineCommand({
  rpc: rpcOf(categoryCommands, "deleteCategory"),
  aggregate: categories,
  stream: (input) => input.id,
  load: async (input, { deps }) => {
    const to = input.reassignProductsTo;
    const [childCount, productIds, target] = await Promise.all([
      liveChildCount(deps.store.sql, input.id),
      liveProductIds(deps.store.sql, input.id),
      to ? load(deps, categories, to) : undefined,
    ]);
    // The products a reassignment moves.
    const movable = to === undefined
      ? []
      : await Promise.all(productIds.map((productId) => load(deps, products, productId)));
    return { childCount, productIds, target, movable };
  },
  decide: (input, self, envelope) => {
    const command = deleteCommand(input, self.with, envelope.at);
    const events = category.decide(command, self.state);
    const name = self.state?.name ?? input.id;
    const reassigned = events.some((e) => e.type === "CategoryProductsReassigned");
    const writes = reassigned
      ? self.with.productIds.map((productId, i) =>
        moveProduct({ productId, loaded: self.with.movable[i], command, name })
      )
      : [];
    return { events, writes };
  },
  effects: ({ input, loaded, events, writes, envelope }) => async (tx) => {
    const { id, reassignProductsTo: to } = input;
    if (to !== undefined) await lockCategories(tx, [id, to]);
    await markCategoryDeleted(tx, id, loaded.version + events.length);
    const now = await liveProductIds(tx, id);
    category.decide(
      {
        ...deleteCommand(input, loaded.with, envelope.at),
        childCount: await liveChildCount(tx, id),
        productIds: now,
      },
      loaded.state,
    );
    if (to === undefined) return;
    const name = loaded.state?.name ?? id;
    const text = `reassign the products of category ${quote(name)}`;
    await requireCategory(tx, { id: to, role: "category" }, { text, field: "reassignProductsTo" });
    const moved = writes.map((w) => w.streamId);
    if (now.length !== moved.length || now.some((p, i) => p !== moved[i])) {
      throw productsChanged(name);
    }
    await moveProducts(tx, moved, to);
  },
});

function deleteCommand(
  input: { id: string; reason?: string | undefined; reassignProductsTo?: string | undefined },
  read: {
    childCount: number;
    productIds: string[];
    target: Loaded<category.CategoryState | null> | undefined;
  },
  at: string,
): category.DeleteCategory {
  return {
    type: "DeleteCategory",
    id: input.id,
    reason: input.reason,
    reassignProductsTo: input.reassignProductsTo,
    childCount: read.childCount,
    productIds: read.productIds,
    target: read.target?.state ?? undefined,
    at,
  };
}

/** The UpdateProduct that moves one product of the deleted category to the target. */
function moveProduct(move: {
  productId: string;
  loaded: Loaded<product.ProductState | null> | undefined;
  command: category.DeleteCategory;
  name: string;
}): Write {
  const { productId, loaded, command } = move;
  const state = loaded?.state;
  if (!loaded || !state || state.deleted || state.categoryId !== command.id) {
    throw productsChanged(move.name);
  }
  const events = product.decide({
    type: "UpdateProduct",
    id: productId,
    categoryId: command.reassignProductsTo,
    category: command.target,
    at: command.at,
  }, state);
  return {
    streamId: productId,
    aggregateType: products.type,
    events,
    loadedVersion: loaded.version,
  };
}

function productsChanged(name: string): ConflictError {
  return new ConflictError(
    `Cannot delete category ${quote(name)}: its products changed concurrently; try again`,
    { field: "reassignProductsTo" },
  );
}
