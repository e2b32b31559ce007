import * as inventory from "@shared/domain/inventory/mod.ts";
import type {
  OrderReservation,
  ReleaseInventory,
  ReserveInventory,
} from "@shared/domain/inventory/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { inventories, load, products } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import { productCommands, sagaStepCommands } from "@proto/command/v1/contract.ts";
import { defineCommand } from "../deps.ts";
import { sqlEffects } from "@shared/event_store/mod.ts";
import { productRequired } from "../lookups/products.ts";
import type { Queryable } from "../lookups/categories.ts";
import { reservationOf } from "../lookups/inventory.ts";
import { productView } from "./product_view.ts";

/**
 * SetStock, on the inventory stream `inventoryIdFor(productId)`; the outcome
 * names that stream. The product must exist and stay live until the append
 * commits (its lookup row is held). It answers with the product and its new
 * stock (the units that can still be reserved).
 */
export const setStock = defineCommand({
  rpc: rpcOf(productCommands, "setStock"),
  aggregate: inventories,
  stream: (input) => inventory.inventoryIdFor(input.productId),
  load: (input, { deps }) => load(deps, products, input.productId),
  decide: (input, { state, with: item }, envelope) =>
    inventory.decide({
      type: "SetStock",
      productId: input.productId,
      quantity: input.quantity,
      product: item.state ?? undefined,
      at: envelope.at,
    }, state),
  view: ({ after, loaded }) =>
    productView(loaded.with.state, after ? { stock: after.available } : {}),
  effects: ({ input, loaded }) =>
    sqlEffects([
      productRequired(input.productId, {
        text: `set the stock of product ${quote(loaded.with.state?.name ?? input.productId)}`,
        field: "productId",
      }),
    ]),
});

/** What ReserveInventory needs besides its command id and time. */
export type ReserveInventoryInput = Pick<ReserveInventory, "orderId" | "productId" | "quantity">;

/** What ReleaseInventory needs besides its command id and time. */
export type ReleaseInventoryInput = Pick<ReleaseInventory, "orderId" | "productId">;

/**
 * The order's record of its reservation of the product (written with each
 * InventoryReserved and InventoryReleased), read after the stream: a
 * concurrent reservation of the order by another replica is either seen
 * here, and this one changes nothing, or committed after this read, and
 * then this append's expected version is stale and it runs again.
 */
function loadReservation(
  input: ReleaseInventoryInput,
  { deps, self }: { deps: { store: { sql: Queryable } }; self: Promise<unknown> },
): Promise<OrderReservation | undefined> {
  return self.then(() => reservationOf(deps.store.sql, input.productId, input.orderId));
}

/**
 * ReserveInventory, for the saga: InventoryReserved, or
 * InventoryReservationFailed when the stock is short. One reservation per
 * order and product; the same command id takes effect once.
 */
export const reserveInventoryCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "reserveInventory"),
  step: true,
  aggregate: inventories,
  stream: (input: ReserveInventoryInput) => inventory.inventoryIdFor(input.productId),
  load: (input, context) => loadReservation(input, context),
  decide: (input, { state, with: reservation }, envelope) =>
    inventory.decide(
      { type: "ReserveInventory", ...pick(input), reservation, at: envelope.at },
      state,
    ),
});

/** ReleaseInventory, the saga's compensation of a reservation; releasing twice emits once. */
export const releaseInventoryCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "releaseInventory"),
  step: true,
  aggregate: inventories,
  stream: (input: ReleaseInventoryInput) => inventory.inventoryIdFor(input.productId),
  load: (input, context) => loadReservation(input, context),
  decide: (input, { state, with: reservation }, envelope) =>
    inventory.decide(
      {
        type: "ReleaseInventory",
        orderId: input.orderId,
        productId: input.productId,
        reservation,
        at: envelope.at,
      },
      state,
    ),
});

function pick({ orderId, productId, quantity }: ReserveInventoryInput): ReserveInventoryInput {
  return { orderId, productId, quantity };
}
