import type { InventoryEvent, InventoryState } from "./types.ts";

function empty(productId: string): InventoryState {
  return { productId, available: 0, reservations: {}, released: {}, version: 0 };
}

/** Applies one event to a product's inventory. */
export function evolve(state: InventoryState | null, event: InventoryEvent): InventoryState | null {
  const current = state ?? empty(event.data.productId);
  const version = current.version + 1;
  switch (event.type) {
    case "StockSet":
      return { ...current, available: event.data.quantity, version };
    case "InventoryReserved":
      return {
        ...current,
        available: event.data.available,
        reservations: { ...current.reservations, [event.data.orderId]: event.data.quantity },
        version,
      };
    case "InventoryReservationFailed":
      return { ...current, version };
    case "InventoryReleased": {
      const { [event.data.orderId]: _released, ...reservations } = current.reservations;
      return {
        ...current,
        available: event.data.available,
        reservations,
        released: { ...current.released, [event.data.orderId]: true },
        version,
      };
    }
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
