import * as category from "@shared/domain/category/mod.ts";
import * as product from "@shared/domain/product/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { ConflictError } from "@shared/errors/mod.ts";
import { categories, load, products } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit, type Write } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import type { Envelope } from "../envelope.ts";
import {
  liveChildCount,
  lockCategories,
  markCategoryDeleted,
  requireCategory,
} from "../lookups/categories.ts";
import { liveProductIds, moveProducts } from "../lookups/products.ts";
import { runCommand } from "../run.ts";
import type { DeleteCategoryInput } from "./_inputs.ts";

/**
 * DeleteCategory. The decider gets the live child count and live products
 * from the lookup tables, and the reassignment target. When it reassigns,
 * every product moves (UpdateProduct) in the same transaction as the
 * deletion: all streams or none. In that transaction the category's row is
 * locked first, so no child or product can join it any more, and the decider
 * runs again on the children and products counted under that lock.
 */
export async function deleteCategory(
  deps: CommandDeps,
  input: DeleteCategoryInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { id, reassignProductsTo: to } = input;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const [self, childCount, productIds, target] = await Promise.all([
        load(store, categories, id),
        liveChildCount(store.sql, id),
        liveProductIds(store.sql, id),
        to ? load(store, categories, to) : undefined,
      ]);
      const command: category.DeleteCategory = {
        type: "DeleteCategory",
        id,
        reason: input.reason,
        reassignProductsTo: to,
        childCount,
        productIds,
        target: target?.state ?? undefined,
        at: envelope.at,
      };
      const events = category.decide(command, self.state);
      const name = self.state?.name ?? id;
      const moved = events.some((e) => e.type === "CategoryProductsReassigned") ? productIds : [];
      const productWrites = await Promise.all(
        moved.map((productId) => moveProduct(deps, { productId, command, name })),
      );
      return await commit(store, [{
        streamId: id,
        aggregateType: categories.type,
        events,
        loadedVersion: self.version,
      }, ...productWrites], {
        envelope,
        effects: async (tx) => {
          if (to !== undefined) await lockCategories(tx, [id, to]);
          await markCategoryDeleted(tx, id, self.version + events.length);
          const now = await liveProductIds(tx, id);
          category.decide(
            { ...command, childCount: await liveChildCount(tx, id), productIds: now },
            self.state,
          );
          if (to === undefined) return;
          const text = `reassign the products of category ${quote(name)}`;
          await requireCategory(tx, { id: to, role: "category" }, {
            text,
            field: "reassignProductsTo",
          });
          if (now.length !== moved.length || now.some((p, i) => p !== moved[i])) {
            throw productsChanged(name);
          }
          await moveProducts(tx, moved, to);
        },
      });
    },
  });
}

/** The UpdateProduct that moves one product of the deleted category to the target. */
async function moveProduct(
  deps: CommandDeps,
  move: { productId: string; command: category.DeleteCategory; name: string },
): Promise<Write> {
  const { productId, command } = move;
  const loaded = await load(deps.store, products, productId);
  if (!loaded.state || loaded.state.deleted || loaded.state.categoryId !== command.id) {
    throw productsChanged(move.name);
  }
  const events = product.decide({
    type: "UpdateProduct",
    id: productId,
    categoryId: command.reassignProductsTo,
    category: command.target,
    at: command.at,
  }, loaded.state);
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
