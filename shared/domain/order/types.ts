import type { ProductState } from "../product/types.ts";
import type { Address } from "../shared/address.ts";
import type { Cents } from "../shared/money.ts";
import type { OrderStatus } from "./status.ts";

export type { Address };

/** The most lines an order may have. */
export const MAX_ORDER_ITEMS = 100;
/** The largest quantity of one line. */
export const MAX_LINE_QUANTITY = 10_000;

/** One line as the caller orders it; name and price come from the product. */
export type OrderItemInput = {
  productId: string;
  quantity: number;
  /** 0 to 1, as a decimal string ("0.15") or a number; 0 when absent. */
  discountRate?: string | number | undefined;
};

/**
 * Places an order (status pending).
 *
 * The handler loads `products`: the state of every product the items name
 * (a product it cannot find is simply left out).
 */
export type CreateOrder = {
  type: "CreateOrder";
  id: string;
  customerId: string;
  items: readonly OrderItemInput[];
  shippingAddress: Address;
  products: readonly ProductState[];
  at: string;
};

/** Moves an order to another status, along the allowed transitions only. */
export type UpdateOrderStatus = {
  type: "UpdateOrderStatus";
  id: string;
  status: OrderStatus;
  reason?: string | undefined;
  at: string;
};

/** Cancels an order; its saga compensates whatever it had done. */
export type CancelOrder = {
  type: "CancelOrder";
  id: string;
  reason: string;
  at: string;
};

/** Order commands. Stream id: the order id. */
export type OrderCommand = CreateOrder | UpdateOrderStatus | CancelOrder;

/** One line of a placed order, money as decimal strings. */
export type OrderLineData = {
  productId: string;
  productName: string;
  quantity: number;
  unitPrice: string;
  discountRate: string;
  /** quantity × unitPrice × (1 − discountRate), rounded half-up to cents. */
  lineTotal: string;
};

/** An order was placed. */
export type OrderCreated = {
  type: "OrderCreated";
  data: {
    id: string;
    customerId: string;
    status: "pending";
    items: OrderLineData[];
    subtotal: string;
    tax: string;
    shipping: string;
    total: string;
    shippingAddress: Address;
    createdAt: string;
  };
};

/** An order moved to another status (any but cancelled). */
export type OrderStatusChanged = {
  type: "OrderStatusChanged";
  data: {
    id: string;
    from: OrderStatus;
    to: OrderStatus;
    reason: string | null;
    changedAt: string;
  };
};

/** An order was cancelled. */
export type OrderCancelled = {
  type: "OrderCancelled";
  data: { id: string; from: OrderStatus; reason: string | null; cancelledAt: string };
};

/** Order events. */
export type OrderEvent = OrderCreated | OrderStatusChanged | OrderCancelled;

/** One line of an order, money in cents. */
export interface OrderLine {
  productId: string;
  productName: string;
  quantity: number;
  unitPrice: Cents;
  discountRate: string;
  lineTotal: Cents;
}

/** The state of one order, money in cents. */
export interface OrderState {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  subtotal: Cents;
  tax: Cents;
  shipping: Cents;
  total: Cents;
  shippingAddress: Address;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The state before any event. */
export const initialState: OrderState | null = null;
