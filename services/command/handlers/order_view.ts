import type * as order from "@shared/domain/order/mod.ts";
import { formatCents } from "@shared/domain/shared/money.ts";

/**
 * An order in the shape of the query view (OrderView), from its state: what
 * an order mutation answers with, so it needs nothing from the read side.
 */
export function orderView(state: order.OrderState | null): Record<string, unknown> | undefined {
  if (state === null) return undefined;
  return {
    id: state.id,
    customerId: state.customerId,
    status: state.status,
    items: state.items.map((line) => ({
      productId: line.productId,
      productName: line.productName,
      quantity: line.quantity,
      unitPrice: formatCents(line.unitPrice),
      discountRate: line.discountRate,
      lineTotal: formatCents(line.lineTotal),
    })),
    subtotal: formatCents(state.subtotal),
    tax: formatCents(state.tax),
    shipping: formatCents(state.shipping),
    total: formatCents(state.total),
    shippingAddress: {
      street: state.shippingAddress.street,
      city: state.shippingAddress.city,
      postalCode: state.shippingAddress.postalCode,
    },
    ...(state.cancelReason === null ? {} : { cancelReason: state.cancelReason }),
    version: state.version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
