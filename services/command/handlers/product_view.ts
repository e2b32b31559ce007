import { ProductView } from "@proto/query/v1/contract.ts";
import type * as product from "@shared/domain/product/mod.ts";
import { pickView } from "@shared/application/views.ts";
import { formatCents } from "@shared/domain/shared/money.ts";

/**
 * The product as a command left it, in the shape of the query view: the
 * state's fields that ProductView names, with what the command knows (stock
 * and creation time only when it creates; its `updatedAt` is the command's
 * time when it changed the product).
 */
export function productView(
  state: product.ProductState | null,
  known: { updatedAt?: string; createdAt?: string; stock?: number },
): Record<string, unknown> | undefined {
  if (state === null || state.deleted) return undefined;
  return pickView(ProductView, { ...state, price: formatCents(state.price), ...known });
}
