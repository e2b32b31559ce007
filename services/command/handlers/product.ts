import { productCommands } from "@proto/command/v1/contract.ts";
import * as product from "@shared/domain/product/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { categories, load, products, requireFreeId } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import { defineCommand } from "../deps.ts";
import { requireCategory } from "../lookups/categories.ts";
import { moveProducts, newProductEffects, productDeleted } from "../lookups/products.ts";
import { sqlEffects } from "@shared/event_store/mod.ts";
import { productView } from "./product_view.ts";

/**
 * CreateProduct. The decider gets the category's state; in the append's
 * transaction the category's lookup row is held (FOR SHARE) and must be live,
 * so a concurrent delete of the category either waits and then counts this
 * product, or wins and refuses it. Without an id, the id derives from the
 * command id.
 */
export const createProduct = defineCommand({
  rpc: rpcOf(productCommands, "createProduct"),
  aggregate: products,
  stream: (input, envelope) => input.id ?? deriveId("product", envelope.commandId),
  load: (input, { deps }) => load(deps, categories, input.categoryId),
  decide: (input, self, envelope) => {
    requireFreeId(self, self.streamId, `create product ${quote(input.name)}`);
    return product.decide({
      type: "CreateProduct",
      id: self.streamId,
      name: input.name,
      description: input.description,
      price: input.price,
      categoryId: input.categoryId,
      category: self.with.state ?? undefined,
      at: envelope.at,
    }, self.state);
  },
  // Statements as data: they go into the append statement itself, or out with it and COMMIT;
  // a missing or deleted category rolls the insert back with the rest.
  effects: ({ input, loaded, after }) =>
    newProductEffects({
      id: loaded.streamId,
      categoryId: input.categoryId,
      name: after?.name ?? input.name,
    }),
  // A new product has no stock yet.
  view: ({ after, envelope }) =>
    productView(after, { updatedAt: envelope.at, createdAt: envelope.at, stock: 0 }),
});

/** UpdateProduct. A move to another category holds that category live, as CreateProduct does. */
export const updateProduct = defineCommand({
  rpc: rpcOf(productCommands, "updateProduct"),
  aggregate: products,
  stream: (input) => input.id,
  load: async (input, { deps, self }) => {
    const { state } = await self;
    const to = input.categoryId;
    const moving = to !== undefined && state !== null && to !== state.categoryId;
    return moving ? await load(deps, categories, to) : undefined;
  },
  decide: (input, self, envelope) =>
    product.decide({
      type: "UpdateProduct",
      id: input.id,
      name: input.name,
      description: input.description,
      price: input.price,
      categoryId: input.categoryId,
      category: self.with?.state ?? undefined,
      changeReason: input.changeReason,
      at: envelope.at,
    }, self.state),
  view: ({ after, envelope }) => productView(after, { updatedAt: envelope.at }),
  effects: ({ input, loaded, events }) => {
    const movedTo = events.find((e) => e.type === "ProductUpdated")?.data.changes.categoryId;
    if (movedTo === undefined) return undefined;
    return {
      send: (tx) => [
        requireCategory(tx, { id: movedTo, role: "category" }, {
          text: `move product ${quote(loaded.state?.name ?? input.id)}`,
          field: "categoryId",
        }),
        moveProducts(tx, [input.id], movedTo),
      ],
    };
  },
});

/** DeleteProduct; the product no longer counts as a live product of its category. */
export const deleteProduct = defineCommand({
  rpc: rpcOf(productCommands, "deleteProduct"),
  aggregate: products,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) =>
    product.decide(
      { type: "DeleteProduct", id: input.id, reason: input.reason, at: envelope.at },
      state,
    ),
  effects: ({ input }) => sqlEffects([productDeleted(input.id)]),
});

/**
 * ArchiveProduct. The product stays in its category's write-side lookup
 * (it still exists and can be restored); CreateOrder refuses it through the
 * decider, which sees its state.
 */
export const archiveProduct = defineCommand({
  rpc: rpcOf(productCommands, "archiveProduct"),
  aggregate: products,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) =>
    product.decide({ type: "ArchiveProduct", id: input.id, at: envelope.at }, state),
  view: ({ after, envelope }) => productView(after, { updatedAt: envelope.at }),
});

/** RestoreProduct: the archived product is back in the catalogue. */
export const restoreProduct = defineCommand({
  rpc: rpcOf(productCommands, "restoreProduct"),
  aggregate: products,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) =>
    product.decide({ type: "RestoreProduct", id: input.id, at: envelope.at }, state),
  view: ({ after, envelope }) => productView(after, { updatedAt: envelope.at }),
});
