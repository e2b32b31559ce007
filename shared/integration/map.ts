import type { RecordedEvent } from "@shared/event_store/mod.ts";
import {
  INTEGRATION_VERSION,
  IntegrationEvent,
  type IntegrationEvent as Published,
  type IntegrationEventType,
} from "./events.ts";

/** Raised when an internal event cannot be expressed in the public contract. */
export class IntegrationMappingError extends Error {
  override readonly name = "IntegrationMappingError";
}

type Data = Record<string, unknown>;
type Mapped = { type: IntegrationEventType; data: Data };

/** How each internal event the outside world cares about becomes a public one. */
const MAPPERS: Record<string, (d: Data) => Mapped> = {
  CategoryCreated: (d) => ({
    type: "category.created",
    data: { id: d.id, name: d.name, description: d.description, parentId: d.parentId },
  }),
  CategoryUpdated: (d) => ({
    type: "category.updated",
    data: { id: d.id, name: d.newName, description: d.newDescription },
  }),
  CategoryMoved: (d) => ({ type: "category.moved", data: { id: d.id, parentId: d.newParentId } }),
  CategoryDeleted: (d) => ({ type: "category.deleted", data: { id: d.id, reason: d.reason } }),
  ProductCreated: (d) => ({
    type: "product.created",
    data: {
      id: d.id,
      name: d.name,
      description: d.description,
      price: d.price,
      categoryId: d.categoryId,
    },
  }),
  ProductUpdated: (d) => {
    // A price change inside an update is also published as product.price_changed by the domain.
    const { name, description, categoryId } = (d.changes ?? {}) as Data;
    const changes = Object.fromEntries(
      Object.entries({ name, description, categoryId }).filter(([, v]) => v !== undefined),
    );
    return { type: "product.updated", data: { id: d.id, changes } };
  },
  ProductPriceChanged: (d) => ({
    type: "product.price_changed",
    data: { id: d.id, oldPrice: d.oldPrice, newPrice: d.newPrice, reason: d.changeReason },
  }),
  ProductDeleted: (d) => ({ type: "product.deleted", data: { id: d.id, reason: d.reason } }),
  StockSet: (d) => ({
    type: "inventory.stock_set",
    data: { productId: d.productId, quantity: d.quantity, previousQuantity: d.previousQuantity },
  }),
  OrderCreated: (d) => ({
    type: "order.created",
    data: {
      id: d.id,
      customerId: d.customerId,
      items: ((d.items ?? []) as Data[]).map((i) => ({
        productId: i.productId,
        quantity: i.quantity,
        unitPrice: i.unitPrice,
        lineTotal: i.lineTotal,
      })),
      subtotal: d.subtotal,
      tax: d.tax,
      shipping: d.shipping,
      total: d.total,
    },
  }),
  OrderStatusChanged: (d) =>
    d.to === "confirmed" ? { type: "order.confirmed", data: { id: d.id } } : {
      type: "order.status_changed",
      data: { id: d.id, from: d.from, to: d.to, reason: d.reason },
    },
  OrderCancelled: (d) => ({
    type: "order.cancelled",
    data: { id: d.id, from: d.from, reason: d.reason },
  }),
};

/** The public name of each aggregate type that records mapped events. */
const AGGREGATES: Record<string, string> = {
  Category: "category",
  Product: "product",
  Inventory: "inventory",
  Order: "order",
};

/**
 * The integration event of an internal one, checked against the public
 * schema; null for an event the outside world is not told about (saga,
 * payment and shipment steps, category path bookkeeping). Throws an
 * {@link IntegrationMappingError} when a mapped event does not fit the
 * contract, so it is never published half-formed.
 */
export function toIntegrationEvent(event: RecordedEvent): Published | null {
  const map = MAPPERS[event.type];
  const aggregate = AGGREGATES[event.aggregateType];
  if (!map || !aggregate) return null;
  const { type, data } = map(event.data);
  // An event of that name recorded by another aggregate is not this one.
  if (!type.startsWith(`${aggregate}.`)) return null;
  const parsed = IntegrationEvent.safeParse({
    id: event.eventId,
    type,
    version: INTEGRATION_VERSION,
    aggregate,
    aggregateId: event.aggregateId,
    occurredAt: event.createdAt.toISOString(),
    data,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntegrationMappingError(
      `Cannot publish event "${event.eventId}" (${event.type}) as ${type}: ${
        issue ? `${issue.path.join(".")} ${issue.message}` : "invalid"
      }`,
    );
  }
  return parsed.data as Published;
}
