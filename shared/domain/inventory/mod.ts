/**
 * The Inventory aggregate: the stock of one product, which orders reserve
 * and release (each order's reservation is recorded beside the stream: see
 * OrderReservation). Stream id: `inventoryIdFor(productId)` (a product's own
 * stream id is the product id).
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  initialState,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";
export { inventoryIdFor } from "../shared/ids.ts";

/** The aggregate type recorded with inventory events. */
export const INVENTORY = "Inventory";

/** The inventory decider, for command handlers and specs. */
export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState | null> = {
  decide,
  evolve,
  initialState,
};
