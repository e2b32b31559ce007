/** Every status an order can have. */
export const ORDER_STATUSES = [
  "pending",
  "confirmed",
  "payment_pending",
  "payment_failed",
  "processing",
  "shipped",
  "delivered",
  "completed",
  "cancelled",
  "returned",
  "refunded",
] as const;

/** The status of an order. */
export type OrderStatus = typeof ORDER_STATUSES[number];

/** The allowed transitions, from DOMAIN.md; anything else is refused. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ["confirmed", "processing", "completed", "cancelled", "payment_pending"],
  confirmed: ["processing", "shipped", "cancelled"],
  payment_pending: ["processing", "cancelled", "payment_failed"],
  payment_failed: [],
  processing: ["shipped", "completed", "cancelled"],
  shipped: ["delivered", "returned"],
  delivered: ["completed", "returned"],
  completed: ["returned"],
  cancelled: [],
  returned: ["refunded"],
  refunded: [],
};

/** Whether an order may go from one status to another. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Whether a text is a known order status. */
export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}
