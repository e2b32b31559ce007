import { productCommands } from "@proto/command/v1/contract.ts";
import * as product from "@shared/domain/product/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { categories, fold, load, products, requireFreeId } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit, type Write } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type Envelope, envelopeOf } from "../envelope.ts";
import { requireCategory } from "../lookups/categories.ts";
import { insertProduct, markProductDeleted, moveProducts } from "../lookups/products.ts";
import { runCommand } from "../run.ts";
import type {
  ArchiveProductInput,
  CreateProductInput,
  DeleteProductInput,
  RestoreProductInput,
  UpdateProductInput,
} from "./_inputs.ts";
import { setStock } from "./inventory.ts";
import { productView } from "./product_view.ts";

/** Binds the product command RPCs (SetStock writes the product's inventory stream). */
export function productHandlers(deps: CommandDeps): ServiceBinding {
  return bind(productCommands, {
    createProduct: (input, context) =>
      createProduct(deps, input, envelopeOf(deps, context, "createProduct", input)),
    updateProduct: (input, context) =>
      updateProduct(deps, input, envelopeOf(deps, context, "updateProduct", input)),
    deleteProduct: (input, context) =>
      deleteProduct(deps, input, envelopeOf(deps, context, "deleteProduct", input)),
    archiveProduct: (input, context) =>
      archiveProduct(deps, input, envelopeOf(deps, context, "archiveProduct", input)),
    restoreProduct: (input, context) =>
      restoreProduct(deps, input, envelopeOf(deps, context, "restoreProduct", input)),
    setStock: (input, context) =>
      setStock(deps, input, envelopeOf(deps, context, "setStock", input)),
  }) as ServiceBinding;
}

/**
 * CreateProduct. The decider gets the category's state; in the append's
 * transaction the category's lookup row is held (FOR SHARE) and must be live,
 * so a concurrent delete of the category either waits and then counts this
 * product, or wins and refuses it. Without an id, the id derives from the
 * command id.
 */
export async function createProduct(
  deps: CommandDeps,
  input: CreateProductInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const id = input.id ?? deriveId("product", envelope.commandId);
  const { categoryId } = input;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const [self, owner] = await Promise.all([
        load(store, products, id),
        load(store, categories, categoryId),
      ]);
      requireFreeId(self, id, `create product ${quote(input.name)}`);
      const events = product.decide({
        type: "CreateProduct",
        id,
        name: input.name,
        description: input.description,
        price: input.price,
        categoryId,
        category: owner.state ?? undefined,
        at: envelope.at,
      }, self.state);
      const created = events[0] as product.ProductCreated;
      return await commit(store, [write(id, self.version, events)], {
        envelope,
        effects: async (tx) => {
          await requireCategory(tx, { id: categoryId, role: "category" }, {
            text: `create product ${quote(created.data.name)}`,
            field: "categoryId",
          });
          await insertProduct(tx, { id, categoryId });
        },
        // A new product has no stock yet.
        view: () =>
          productView(fold(products, self.state, events), {
            updatedAt: envelope.at,
            createdAt: envelope.at,
            stock: 0,
          }),
      });
    },
  });
}

/** UpdateProduct. A move to another category holds that category live, as CreateProduct does. */
export async function updateProduct(
  deps: CommandDeps,
  input: UpdateProductInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { id } = input;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const self = await load(store, products, id);
      const to = input.categoryId;
      const moving = to !== undefined && self.state !== null && to !== self.state.categoryId;
      const owner = moving ? await load(store, categories, to) : undefined;
      const events = product.decide({
        type: "UpdateProduct",
        id,
        name: input.name,
        description: input.description,
        price: input.price,
        categoryId: to,
        category: owner?.state ?? undefined,
        changeReason: input.changeReason,
        at: envelope.at,
      }, self.state);
      const updated = events.find((e) => e.type === "ProductUpdated");
      const movedTo = updated?.data.changes.categoryId;
      return await commit(store, [write(id, self.version, events)], {
        envelope,
        view: () => productView(fold(products, self.state, events), { updatedAt: envelope.at }),
        effects: movedTo === undefined ? undefined : async (tx) => {
          await requireCategory(tx, { id: movedTo, role: "category" }, {
            text: `move product ${quote(self.state?.name ?? id)}`,
            field: "categoryId",
          });
          await moveProducts(tx, [id], movedTo);
        },
      });
    },
  });
}

/** DeleteProduct; the product no longer counts as a live product of its category. */
export async function deleteProduct(
  deps: CommandDeps,
  input: DeleteProductInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { id } = input;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const self = await load(deps.store, products, id);
      const events = product.decide(
        { type: "DeleteProduct", id, reason: input.reason, at: envelope.at },
        self.state,
      );
      return await commit(deps.store, [write(id, self.version, events)], {
        envelope,
        effects: (tx) => markProductDeleted(tx, id),
      });
    },
  });
}

/**
 * ArchiveProduct. The product stays in its category's write-side lookup
 * (it still exists and can be restored); CreateOrder refuses it through the
 * decider, which sees its state.
 */
export async function archiveProduct(
  deps: CommandDeps,
  input: ArchiveProductInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  return await toggleArchived(
    deps,
    { type: "ArchiveProduct", id: input.id, at: envelope.at },
    envelope,
  );
}

/** RestoreProduct: the archived product is back in the catalogue. */
export async function restoreProduct(
  deps: CommandDeps,
  input: RestoreProductInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  return await toggleArchived(
    deps,
    { type: "RestoreProduct", id: input.id, at: envelope.at },
    envelope,
  );
}

async function toggleArchived(
  deps: CommandDeps,
  command: product.ArchiveProduct | product.RestoreProduct,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { id } = command;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const self = await load(deps.store, products, id);
      const events = product.decide(command, self.state);
      return await commit(deps.store, [write(id, self.version, events)], {
        envelope,
        view: () => productView(fold(products, self.state, events), { updatedAt: envelope.at }),
      });
    },
  });
}

function write(streamId: string, loadedVersion: number, events: product.ProductEvent[]): Write {
  return { streamId, aggregateType: products.type, events, loadedVersion };
}
