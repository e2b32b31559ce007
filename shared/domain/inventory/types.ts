import type { ProductState } from "../product/types.ts";

/** The largest stock of one product. */
export const MAX_STOCK = 1_000_000_000;

/**
 * Sets the stock of a product: the units that can still be reserved.
 *
 * The handler loads `product`, the product's state (absent when there is no
 * such product).
 */
export type SetStock = {
  type: "SetStock";
  productId: string;
  quantity: number;
  product?: ProductState | undefined;
  at: string;
};

/**
 * What the write side has recorded of one order's reservation of one
 * product: the units reserved (0 when the order was closed before it
 * reserved any), and whether they were released.
 *
 * It is kept beside the stream, not in the product's state, so that state
 * stays the same size however many orders the product has had. The handler
 * loads it after the stream; a trigger on the events table records it, in the
 * transaction of each InventoryReserved and InventoryReleased (migration 130).
 */
export interface OrderReservation {
  quantity: number;
  released: boolean;
}

/**
 * Reserves units for an order; one reservation per order and product.
 * `reservation` is the order's record for this product, absent when it has none.
 */
export type ReserveInventory = {
  type: "ReserveInventory";
  orderId: string;
  productId: string;
  quantity: number;
  reservation?: OrderReservation | undefined;
  at: string;
};

/** Gives back an order's reservation; idempotent. `reservation` as for ReserveInventory. */
export type ReleaseInventory = {
  type: "ReleaseInventory";
  orderId: string;
  productId: string;
  reservation?: OrderReservation | undefined;
  at: string;
};

/** Inventory commands. Stream id: `inventoryIdFor(productId)`. */
export type InventoryCommand = SetStock | ReserveInventory | ReleaseInventory;

/** The stock of a product was set. */
export type StockSet = {
  type: "StockSet";
  data: { productId: string; quantity: number; previousQuantity: number; setAt: string };
};

/** Units were reserved for an order; `available` is what is left. */
export type InventoryReserved = {
  type: "InventoryReserved";
  data: {
    productId: string;
    orderId: string;
    quantity: number;
    available: number;
    reservedAt: string;
  };
};

/** A reservation was refused: too little stock, or the order's reservation was already released. */
export type InventoryReservationFailed = {
  type: "InventoryReservationFailed";
  data: {
    productId: string;
    orderId: string;
    requested: number;
    available: number;
    reason: string;
    failedAt: string;
  };
};

/**
 * An order's reservation was given back. `quantity` 0 means nothing was
 * reserved: the release still closes the order's reservation, so a late
 * ReserveInventory for it is refused.
 */
export type InventoryReleased = {
  type: "InventoryReleased";
  data: {
    productId: string;
    orderId: string;
    quantity: number;
    available: number;
    releasedAt: string;
  };
};

/** Inventory events. */
export type InventoryEvent =
  | StockSet
  | InventoryReserved
  | InventoryReservationFailed
  | InventoryReleased;

/**
 * The inventory of one product. Which orders hold units is not part of it:
 * see OrderReservation.
 */
export interface InventoryState {
  productId: string;
  /** Units that can still be reserved; never negative. */
  available: number;
  version: number;
}

/** The state before any event. */
export const initialState: InventoryState | null = null;
