import { INVENTORY } from "@shared/domain/inventory/mod.ts";
import { ORDER } from "@shared/domain/order/mod.ts";
import { ORDER_SAGA, orderIdOf, type SagaInput } from "@shared/domain/order_saga/mod.ts";
import { PAYMENT } from "@shared/domain/payment/mod.ts";
import { SHIPMENT } from "@shared/domain/shipment/mod.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";

/** The events the saga reacts to, with the aggregate type that must have recorded them. */
const OBSERVED = new Map<string, string>([
  ["OrderCreated", ORDER],
  ["OrderStatusChanged", ORDER],
  ["OrderCancelled", ORDER],
  ["InventoryReserved", INVENTORY],
  ["InventoryReservationFailed", INVENTORY],
  ["InventoryReleased", INVENTORY],
  ["PaymentProcessed", PAYMENT],
  ["PaymentFailed", PAYMENT],
  ["PaymentRefunded", PAYMENT],
  ["ShippingArranged", SHIPMENT],
  ["ShippingFailed", SHIPMENT],
  ["ShippingCancelled", SHIPMENT],
]);

/** An event of the global order that concerns the saga of an order. */
export interface Routed {
  orderId: string;
  /**
   * What the saga decides on; null for a saga's own SagaStarted, which only
   * makes the worker look at the saga (the startOrderSaga mutation records
   * it from the command service, and the worker must then send its steps).
   */
  input: SagaInput | null;
  event: RecordedEvent;
}

/**
 * Routes an event to the saga it concerns; null when it concerns none. The
 * input's `at` is the event's time; the worker replaces it with the time it
 * observes the event.
 */
export function route(event: RecordedEvent): Routed | null {
  if (event.type === "SagaStarted" && event.aggregateType === ORDER_SAGA) {
    const orderId = (event.data as { orderId?: unknown }).orderId;
    return typeof orderId === "string" ? { orderId, input: null, event } : null;
  }
  if (OBSERVED.get(event.type) !== event.aggregateType) return null;
  const at = event.createdAt.toISOString();
  const input = { type: event.type, data: event.data, at } as SagaInput;
  const orderId = orderIdOf(input);
  return typeof orderId === "string" ? { orderId, input, event } : null;
}
