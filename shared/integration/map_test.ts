import assert from "node:assert/strict";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import { IntegrationEvent, IntegrationMappingError, toIntegrationEvent } from "./mod.ts";

const orderId = "0b6f1a52-5a8e-4f6b-9f39-7d3d0c1b2a10";

function recorded(
  aggregateType: string,
  type: string,
  data: Record<string, unknown>,
): RecordedEvent {
  return {
    position: { transactionId: "1", id: "1" },
    eventId: crypto.randomUUID(),
    aggregateId: orderId,
    aggregateType,
    type,
    data,
    metadata: {},
    version: 2,
    schemaVersion: 1,
    createdAt: new Date("2026-01-02T03:04:05.000Z"),
  };
}

Deno.test("toIntegrationEvent() publishes an order's confirmation as order.confirmed", () => {
  const event = recorded("Order", "OrderStatusChanged", {
    id: orderId,
    from: "pending",
    to: "confirmed",
    reason: null,
    changedAt: "2026-01-02T03:04:05.000Z",
  });
  assert.deepEqual(toIntegrationEvent(event), {
    id: event.eventId,
    type: "order.confirmed",
    version: 1,
    aggregate: "order",
    aggregateId: orderId,
    occurredAt: "2026-01-02T03:04:05.000Z",
    data: { id: orderId },
  });
});

Deno.test("toIntegrationEvent() leaves internal fields out of the public event", () => {
  const event = recorded("Product", "ProductUpdated", {
    id: orderId,
    changes: { name: "New", price: "3.00" },
    previous: { name: "Old", price: "2.00" },
    updatedAt: "2026-01-02T03:04:05.000Z",
  });
  const published = toIntegrationEvent(event);
  assert.deepEqual(published?.data, { id: orderId, changes: { name: "New" } });
  assert.ok(IntegrationEvent.safeParse(published).success);
});

Deno.test("toIntegrationEvent() skips events the outside world is not told about", () => {
  assert.equal(toIntegrationEvent(recorded("OrderSaga", "SagaStarted", { orderId })), null);
  assert.equal(toIntegrationEvent(recorded("Payment", "OrderCreated", { id: orderId })), null);
});

Deno.test("toIntegrationEvent() refuses a mapped event that breaks the contract", () => {
  const event = recorded("Inventory", "StockSet", {
    productId: orderId,
    quantity: "many",
    previousQuantity: 0,
    setAt: "2026-01-02T03:04:05.000Z",
  });
  assert.throws(() => toIntegrationEvent(event), IntegrationMappingError);
});
