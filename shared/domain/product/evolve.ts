import { parseCents } from "../shared/money.ts";
import type { ProductEvent, ProductState } from "./types.ts";

/** Applies one (upcast, current-version) event to a product's state. */
export function evolve(state: ProductState | null, event: ProductEvent): ProductState | null {
  const version = (state?.version ?? 0) + 1;
  switch (event.type) {
    case "ProductCreated":
      return {
        id: event.data.id,
        name: event.data.name,
        description: event.data.description,
        price: cents(event.data.price),
        categoryId: event.data.categoryId,
        deleted: false,
        archived: false,
        version,
      };
    case "ProductUpdated": {
      if (!state) return state;
      const { changes } = event.data;
      return {
        ...state,
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.description !== undefined && { description: changes.description }),
        ...(changes.price !== undefined && { price: cents(changes.price) }),
        ...(changes.categoryId !== undefined && { categoryId: changes.categoryId }),
        version,
      };
    }
    case "ProductPriceChanged":
      // ProductUpdated, recorded with it, already carries the new price.
      return state && { ...state, version };
    case "ProductDeleted":
      return state && { ...state, deleted: true, version };
    case "ProductArchived":
      return state && { ...state, archived: true, version };
    case "ProductRestored":
      return state && { ...state, archived: false, version };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}

function cents(price: string): number {
  const value = parseCents(price);
  if (value === null) throw new TypeError(`Recorded price "${price}" is not a decimal string`);
  return value;
}
