/** Builders of the order specs. */
import type { ProductState } from "../product/types.ts";
import { AT, id } from "../shared/testing.ts";
import type { OrderStatus } from "./status.ts";
import type { OrderEvent } from "./types.ts";

/** The order of every order spec. */
export const ORDER_ID = id(100);
/** Its customer. */
export const CUSTOMER = id(200);
/** Its shipping address. */
export const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

/** A live product with a price in cents. */
export function product(n: number, price: number, name = `Product ${n}`): ProductState {
  return {
    id: id(n),
    name,
    description: null,
    price,
    categoryId: id(50),
    deleted: false,
    archived: false,
    version: 1,
  };
}

/** An OrderCreated event of one line (2 × 10.00). */
export function orderCreated(): OrderEvent {
  return {
    type: "OrderCreated",
    data: {
      id: ORDER_ID,
      customerId: CUSTOMER,
      status: "pending",
      items: [{
        productId: id(1),
        productName: "Product 1",
        quantity: 2,
        unitPrice: "10.00",
        discountRate: "0",
        lineTotal: "20.00",
      }],
      subtotal: "20.00",
      tax: "2.00",
      shipping: "500.00",
      total: "522.00",
      shippingAddress: ADDRESS,
      createdAt: AT,
    },
  };
}

/** The history of an order brought to a status (recorded events are not re-checked). */
export function orderAt(status: OrderStatus): OrderEvent[] {
  const events = [orderCreated()];
  if (status === "cancelled") {
    events.push({
      type: "OrderCancelled",
      data: { id: ORDER_ID, from: "pending", reason: null, cancelledAt: AT },
    });
  } else if (status !== "pending") {
    events.push({
      type: "OrderStatusChanged",
      data: { id: ORDER_ID, from: "pending", to: status, reason: null, changedAt: AT },
    });
  }
  return events;
}
