import { ConflictError } from "@shared/errors/mod.ts";
import { type EventStore, loadAggregate, type RecordedEvent } from "@shared/event_store/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import * as category from "@shared/domain/category/mod.ts";
import * as inventory from "@shared/domain/inventory/mod.ts";
import * as order from "@shared/domain/order/mod.ts";
import * as saga from "@shared/domain/order_saga/mod.ts";
import * as payment from "@shared/domain/payment/mod.ts";
import * as product from "@shared/domain/product/mod.ts";
import * as shipment from "@shared/domain/shipment/mod.ts";

/** An event as the deciders make and fold it. */
export type DomainEvent = { type: string; data: Record<string, unknown> };

/** How a stream folds into an aggregate's state. */
export interface Folding<S, E extends DomainEvent> {
  /** Recorded as `aggregate_type`; events of another type in the stream are not folded. */
  type: string;
  initialState: S;
  evolve(state: S, event: E): S;
  /** Version of the state's shape: bump it when the shape changes, and old snapshots are ignored. */
  stateSchema: number;
}

/** An aggregate's state with the stream version it was folded to (0: no stream). */
export interface Loaded<S> {
  state: S;
  version: number;
}

const SNAPSHOT_EVERY = 50;

/**
 * Loads an aggregate from the event store, starting from its latest snapshot
 * (the event store saves a new one every {@link SNAPSHOT_EVERY} events). A
 * stream of another aggregate type folds to the initial state, so an id of
 * the wrong kind reads as "does not exist" while its version still guards
 * the append.
 */
export async function load<S, E extends DomainEvent>(
  store: EventStore,
  folding: Folding<S, E>,
  streamId: string,
): Promise<Loaded<S>> {
  const { state, version } = await loadAggregate<S, RecordedEvent>(store, streamId, {
    initialState: folding.initialState,
    evolve: (s, event) =>
      event.aggregateType === folding.type ? folding.evolve(s, event as unknown as E) : s,
    stateSchema: folding.stateSchema,
    snapshotEvery: SNAPSHOT_EVERY,
  });
  return { state, version };
}

/**
 * Refuses to create an aggregate under an id that a stream of another type
 * already uses: such a stream folds to the initial state at a version above 0.
 */
export function requireFreeId(loaded: Loaded<unknown>, id: string, action: string): void {
  if (loaded.version > 0 && loaded.state === null) {
    throw new ConflictError(
      `Cannot ${action}: id ${quote(id)} is already used by another kind of entity`,
      { field: "id" },
    );
  }
}

/** Folds freshly decided events onto a state. */
export function fold<S, E extends DomainEvent>(folding: Folding<S, E>, state: S, events: E[]): S {
  return events.reduce((s, e) => folding.evolve(s, e), state);
}

/** The category aggregate. */
export const categories: Folding<category.CategoryState | null, category.CategoryEvent> = {
  type: category.CATEGORY,
  initialState: category.initialState,
  evolve: category.evolve,
  stateSchema: 1,
};

/** The product aggregate. */
export const products: Folding<product.ProductState | null, product.ProductEvent> = {
  type: product.PRODUCT,
  initialState: product.initialState,
  evolve: product.evolve,
  stateSchema: 1,
};

/** A product's inventory (stream `inventoryIdFor(productId)`). */
export const inventories: Folding<inventory.InventoryState | null, inventory.InventoryEvent> = {
  type: inventory.INVENTORY,
  initialState: inventory.initialState,
  evolve: inventory.evolve,
  stateSchema: 1,
};

/** An order's payment (stream `paymentIdFor(orderId)`). */
export const payments: Folding<payment.PaymentState | null, payment.PaymentEvent> = {
  type: payment.PAYMENT,
  initialState: payment.initialState,
  evolve: payment.evolve,
  stateSchema: 1,
};

/** An order's shipment (stream `shipmentIdFor(orderId)`). */
export const shipments: Folding<shipment.ShipmentState | null, shipment.ShipmentEvent> = {
  type: shipment.SHIPMENT,
  initialState: shipment.initialState,
  evolve: shipment.evolve,
  stateSchema: 1,
};

/** The order aggregate. */
export const orders: Folding<order.OrderState | null, order.OrderEvent> = {
  type: order.ORDER,
  initialState: order.initialState,
  evolve: order.evolve,
  stateSchema: 1,
};

/** An order's saga (stream `sagaIdFor(orderId)`). */
export const sagas: Folding<saga.OrderSagaState | null, saga.OrderSagaEvent> = {
  type: saga.ORDER_SAGA,
  initialState: saga.initialState,
  evolve: saga.evolve,
  stateSchema: 1,
};
