import * as inventory from "@shared/domain/inventory/mod.ts";
import type { ReleaseInventory, ReserveInventory } from "@shared/domain/inventory/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { fold, inventories, load, products } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit, type Write } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type Envelope, type InternalCommandOptions, internalEnvelope } from "../envelope.ts";
import { requireProduct } from "../lookups/products.ts";
import { runCommand } from "../run.ts";
import type { SetStockInput } from "./_inputs.ts";
import { productView } from "./product_view.ts";

/**
 * SetStock, on the inventory stream `inventoryIdFor(productId)`; the outcome
 * names that stream. The product must exist and stay live until the append
 * commits (its lookup row is held). It answers with the product and its new
 * stock (the units that can still be reserved).
 */
export async function setStock(
  deps: CommandDeps,
  input: SetStockInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { productId, quantity } = input;
  const streamId = inventory.inventoryIdFor(productId);
  return await runCommand(deps, envelope, {
    primaryId: streamId,
    attempt: async () => {
      const { store } = deps;
      const [item, stock] = await Promise.all([
        load(store, products, productId),
        load(store, inventories, streamId),
      ]);
      const events = inventory.decide(
        {
          type: "SetStock",
          productId,
          quantity,
          product: item.state ?? undefined,
          at: envelope.at,
        },
        stock.state,
      );
      return await commit(store, [write(streamId, stock.version, events)], {
        envelope,
        view: () => {
          const after = fold(inventories, stock.state, events);
          return productView(item.state, after ? { stock: after.available } : {});
        },
        effects: (tx) =>
          requireProduct(tx, productId, {
            text: `set the stock of product ${quote(item.state?.name ?? productId)}`,
            field: "productId",
          }),
      });
    },
  });
}

/** What ReserveInventory needs besides its command id and time. */
export type ReserveInventoryInput = Pick<ReserveInventory, "orderId" | "productId" | "quantity">;

/**
 * ReserveInventory, for the saga: InventoryReserved, or
 * InventoryReservationFailed when the stock is short. One reservation per
 * order and product; the same command id takes effect once.
 */
export async function reserveInventory(
  deps: CommandDeps,
  input: ReserveInventoryInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  return await onInventory(deps, envelope, input.productId, (at) => ({
    type: "ReserveInventory",
    orderId: input.orderId,
    productId: input.productId,
    quantity: input.quantity,
    at,
  }));
}

/** What ReleaseInventory needs besides its command id and time. */
export type ReleaseInventoryInput = Pick<ReleaseInventory, "orderId" | "productId">;

/** ReleaseInventory, the saga's compensation of a reservation; releasing twice emits once. */
export async function releaseInventory(
  deps: CommandDeps,
  input: ReleaseInventoryInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  return await onInventory(deps, envelope, input.productId, (at) => ({
    type: "ReleaseInventory",
    orderId: input.orderId,
    productId: input.productId,
    at,
  }));
}

async function onInventory(
  deps: CommandDeps,
  envelope: Envelope,
  productId: string,
  command: (at: string) => inventory.InventoryCommand,
): Promise<CommandOutcome> {
  const streamId = inventory.inventoryIdFor(productId);
  return await runCommand(deps, envelope, {
    primaryId: streamId,
    attempt: async () => {
      const stock = await load(deps.store, inventories, streamId);
      const events = inventory.decide(command(envelope.at), stock.state);
      return await commit(deps.store, [write(streamId, stock.version, events)], { envelope });
    },
  });
}

function write(streamId: string, loadedVersion: number, events: inventory.InventoryEvent[]): Write {
  return { streamId, aggregateType: inventories.type, events, loadedVersion };
}
