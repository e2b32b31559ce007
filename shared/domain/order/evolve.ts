import { parseCents } from "../shared/money.ts";
import type { OrderEvent, OrderState } from "./types.ts";

function cents(text: string): number {
  const value = parseCents(text.replace(/^-/, ""));
  if (value === null) throw new TypeError(`Recorded amount "${text}" is not a decimal string`);
  return text.startsWith("-") ? -value : value;
}

/** Applies one event to an order's state. */
export function evolve(state: OrderState | null, event: OrderEvent): OrderState | null {
  const version = (state?.version ?? 0) + 1;
  switch (event.type) {
    case "OrderCreated": {
      const d = event.data;
      return {
        id: d.id,
        customerId: d.customerId,
        status: d.status,
        items: d.items.map((line) => ({
          productId: line.productId,
          productName: line.productName,
          quantity: line.quantity,
          unitPrice: cents(line.unitPrice),
          discountRate: line.discountRate,
          lineTotal: cents(line.lineTotal),
        })),
        subtotal: cents(d.subtotal),
        tax: cents(d.tax),
        shipping: cents(d.shipping),
        total: cents(d.total),
        shippingAddress: d.shippingAddress,
        cancelReason: null,
        createdAt: d.createdAt,
        updatedAt: d.createdAt,
        version,
      };
    }
    case "OrderStatusChanged":
      return state && { ...state, status: event.data.to, updatedAt: event.data.changedAt, version };
    case "OrderCancelled":
      return state && {
        ...state,
        status: "cancelled",
        cancelReason: event.data.reason,
        updatedAt: event.data.cancelledAt,
        version,
      };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
