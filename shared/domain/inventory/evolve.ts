import type { InventoryEvent, InventoryState } from "./types.ts";

/** Applies one event to a product's inventory; its cost does not grow with the product's orders. */
export function evolve(state: InventoryState | null, event: InventoryEvent): InventoryState | null {
  const current = state ?? { productId: event.data.productId, available: 0, version: 0 };
  const version = current.version + 1;
  switch (event.type) {
    case "StockSet":
      return { ...current, available: event.data.quantity, version };
    case "InventoryReserved":
    case "InventoryReleased":
      return { ...current, available: event.data.available, version };
    case "InventoryReservationFailed":
      return { ...current, version };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
