import { ConflictError } from "@shared/errors/mod.ts";
import {
  type EventStore,
  foldOnto,
  loadAggregate,
  type RecordedEvent,
} from "@shared/event_store/mod.ts";
import type { Decider } from "@shared/domain/shared/decider.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import type { StateCache } from "./states.ts";
import * as category from "@shared/domain/category/mod.ts";
import * as inventory from "@shared/domain/inventory/mod.ts";
import * as order from "@shared/domain/order/mod.ts";
import * as saga from "@shared/domain/order_saga/mod.ts";
import * as payment from "@shared/domain/payment/mod.ts";
import * as product from "@shared/domain/product/mod.ts";
import * as shipment from "@shared/domain/shipment/mod.ts";

/** An event as the deciders make and fold it. */
export type DomainEvent = { type: string; data: Record<string, unknown> };

/**
 * An aggregate as the application loads and commits it: the domain's decider
 * with the aggregate type its streams are recorded under.
 */
export interface Aggregate<S, E extends DomainEvent, C = never, O = E[]>
  extends Decider<C, E, S, O> {
  /** Recorded as `aggregate_type`; events of another type in the stream are not folded. */
  type: string;
  /** Version of the state's shape: bump it when the shape changes, and old snapshots are ignored. */
  stateSchema: number;
}

/** An aggregate of a domain decider, recorded under `type`. */
function aggregate<S, E extends DomainEvent, C, O>(
  type: string,
  decider: Decider<C, E, S, O>,
  stateSchema = 1,
): Aggregate<S, E, C, O> {
  return { ...decider, type, stateSchema };
}

/** An aggregate's state with the stream version it was folded to (0: no stream). */
export interface Loaded<S> {
  state: S;
  version: number;
}

const SNAPSHOT_EVERY = 50;

/** Where loads read: the event store, and this process's kept states, if it keeps them. */
export interface StateSource {
  store: EventStore;
  states?: StateCache | undefined;
}

/**
 * Loads an aggregate from the event store, starting from the state this
 * process kept of it (see {@link StateCache}) or else from its latest
 * snapshot (the event store saves a new one every {@link SNAPSHOT_EVERY}
 * events). A stream of another aggregate type folds to the initial state, so
 * an id of the wrong kind reads as "does not exist" while its version still
 * guards the append.
 */
export async function load<S, E extends DomainEvent>(
  source: StateSource,
  aggregate: Pick<Aggregate<S, E>, "type" | "initialState" | "evolve" | "stateSchema">,
  streamId: string,
): Promise<Loaded<S>> {
  const { store, states } = source;
  const definition = {
    initialState: aggregate.initialState,
    evolve: (s: S, event: RecordedEvent) =>
      event.aggregateType === aggregate.type ? aggregate.evolve(s, event as unknown as E) : s,
    stateSchema: aggregate.stateSchema,
    snapshotEvery: SNAPSHOT_EVERY,
  };
  if (!states) {
    const { state, version } = await loadAggregate<S, RecordedEvent>(store, streamId, definition);
    return { state, version };
  }
  const key = `${aggregate.type}:${aggregate.stateSchema}:${streamId}`;
  const kept = states.get<S>(key);
  let loaded;
  if (kept) {
    // Only what was appended since: by this process's last command, or by another replica.
    const since = await store.readStream(streamId, { from: kept.version + 1 });
    loaded = await foldOnto(store, streamId, definition, kept, since);
  } else {
    loaded = await loadAggregate<S, RecordedEvent>(store, streamId, definition);
  }
  states.keep(key, loaded);
  return { state: loaded.state, version: loaded.version };
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

/** The category aggregate. */
export const categories = aggregate(category.CATEGORY, category.categoryDecider);

/** The product aggregate. */
export const products = aggregate(product.PRODUCT, product.productDecider);

/**
 * A product's inventory (stream `inventoryIdFor(productId)`). State schema 2:
 * the orders' reservations left the state (migration 130).
 */
export const inventories = aggregate(inventory.INVENTORY, inventory.inventoryDecider, 2);

/** An order's payment (stream `paymentIdFor(orderId)`). */
export const payments = aggregate(payment.PAYMENT, payment.paymentDecider);

/** An order's shipment (stream `shipmentIdFor(orderId)`). */
export const shipments = aggregate(shipment.SHIPMENT, shipment.shipmentDecider);

/** The order aggregate. */
export const orders = aggregate(order.ORDER, order.orderDecider);

/** An order's saga (stream `sagaIdFor(orderId)`). */
export const sagas = aggregate(saga.ORDER_SAGA, saga.orderSagaDecider);

/** Every aggregate, for readers that fold any stream by its recorded type (the history). */
export const AGGREGATES: readonly Aggregate<unknown, DomainEvent, never, unknown>[] = [
  categories,
  products,
  inventories,
  orders,
  sagas,
  payments,
  shipments,
] as unknown as Aggregate<unknown, DomainEvent, never, unknown>[];
