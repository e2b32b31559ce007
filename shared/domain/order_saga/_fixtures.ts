/** Builders of the saga specs. */
import type { OrderCreated } from "../order/types.ts";
import { paymentIdFor, sagaIdFor, shipmentIdFor } from "../shared/ids.ts";
import { AT, id, later } from "../shared/testing.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import type {
  OrderSagaEvent,
  OrderSagaState,
  SagaCommand,
  SagaInput,
  SagaOptions,
} from "./types.ts";

/** The order of every saga spec, and the streams derived from it. */
export const ORDER = id(100);
/** The saga stream of {@link ORDER}. */
export const SAGA = sagaIdFor(ORDER);
/** Products A, B and C, one unit of each per order line. */
export const A = id(1);
/** See {@link A}. */
export const B = id(2);
/** See {@link A}. */
export const C = id(3);
/** The shipping address of {@link ORDER}. */
export const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };
/** The payment stream of {@link ORDER}. */
export const PAYMENT = paymentIdFor(ORDER);
/** The shipment stream of {@link ORDER}. */
export const SHIPMENT = shipmentIdFor(ORDER);

/** An OrderCreated input for the given products (1 unit each, total 55.00). */
export function orderCreated(products = [A, B], at = AT): SagaInput {
  const data: OrderCreated["data"] = {
    id: ORDER,
    customerId: id(200),
    status: "pending",
    items: products.map((productId) => ({
      productId,
      productName: productId,
      quantity: 1,
      unitPrice: "5.00",
      discountRate: "0",
      lineTotal: "5.00",
    })),
    subtotal: "50.00",
    tax: "5.00",
    shipping: "0.00",
    total: "55.00",
    shippingAddress: ADDRESS,
    createdAt: at,
  };
  return { type: "OrderCreated", data, at };
}

/** Inputs the other aggregates' events become, at `seconds` after AT. */
export const input = {
  reserved: (productId: string, seconds = 1): SagaInput => ({
    type: "InventoryReserved",
    data: { productId, orderId: ORDER, quantity: 1, available: 9, reservedAt: later(seconds) },
    at: later(seconds),
  }),
  reservationFailed: (productId: string, seconds = 1): SagaInput => ({
    type: "InventoryReservationFailed",
    data: {
      productId,
      orderId: ORDER,
      requested: 1,
      available: 0,
      reason: "Insufficient stock: requested 1, available 0",
      failedAt: later(seconds),
    },
    at: later(seconds),
  }),
  released: (productId: string, seconds = 1): SagaInput => ({
    type: "InventoryReleased",
    data: { productId, orderId: ORDER, quantity: 1, available: 10, releasedAt: later(seconds) },
    at: later(seconds),
  }),
  paid: (seconds = 2): SagaInput => ({
    type: "PaymentProcessed",
    data: {
      paymentId: PAYMENT,
      orderId: ORDER,
      amount: "55.00",
      transactionRef: "tx",
      processedAt: later(seconds),
    },
    at: later(seconds),
  }),
  paymentFailed: (seconds = 2): SagaInput => ({
    type: "PaymentFailed",
    data: {
      paymentId: PAYMENT,
      orderId: ORDER,
      amount: "55.00",
      reason: "Card declined",
      failedAt: later(seconds),
    },
    at: later(seconds),
  }),
  refunded: (seconds = 3): SagaInput => ({
    type: "PaymentRefunded",
    data: { paymentId: PAYMENT, orderId: ORDER, amount: "55.00", refundedAt: later(seconds) },
    at: later(seconds),
  }),
  shipped: (seconds = 3): SagaInput => ({
    type: "ShippingArranged",
    data: {
      shipmentId: SHIPMENT,
      orderId: ORDER,
      address: ADDRESS,
      carrier: "Sim",
      trackingNumber: "T1",
      arrangedAt: later(seconds),
    },
    at: later(seconds),
  }),
  shippingFailed: (seconds = 3): SagaInput => ({
    type: "ShippingFailed",
    data: { shipmentId: SHIPMENT, orderId: ORDER, reason: "No carrier", failedAt: later(seconds) },
    at: later(seconds),
  }),
  shippingCancelled: (seconds = 4): SagaInput => ({
    type: "ShippingCancelled",
    data: { shipmentId: SHIPMENT, orderId: ORDER, wasArranged: true, cancelledAt: later(seconds) },
    at: later(seconds),
  }),
  confirmed: (seconds = 4): SagaInput => ({
    type: "OrderStatusChanged",
    data: { id: ORDER, from: "pending", to: "confirmed", reason: null, changedAt: later(seconds) },
    at: later(seconds),
  }),
  cancelled: (seconds = 5, reason: string | null = "Changed my mind"): SagaInput => ({
    type: "OrderCancelled",
    data: { id: ORDER, from: "pending", reason, cancelledAt: later(seconds) },
    at: later(seconds),
  }),
  tick: (seconds: number): SagaInput => ({
    type: "CheckSagaTimeout",
    orderId: ORDER,
    at: later(seconds),
  }),
};

/** The result of feeding inputs to the saga one after another, as the runner would. */
export interface Run {
  state: OrderSagaState | null;
  events: OrderSagaEvent[];
  /** Every command sent, in order. */
  commands: SagaCommand[];
}

/** Feeds inputs to the saga, folding its events and collecting its commands. */
export function run(inputs: SagaInput[], options?: SagaOptions): Run {
  const result: Run = { state: null, events: [], commands: [] };
  for (const next of inputs) {
    const decision = decide(next, result.state, options);
    result.state = decision.events.reduce<OrderSagaState | null>(evolve, result.state);
    result.events.push(...decision.events);
    result.commands.push(...decision.commands);
  }
  return result;
}

/** A compact view of commands: "ReserveInventory A", "RefundPayment", ... */
export function describe(commands: readonly SagaCommand[]): string[] {
  const names = new Map([[A, "A"], [B, "B"], [C, "C"]]);
  return commands.map(({ command }) =>
    "productId" in command ? `${command.type} ${names.get(command.productId)}` : command.type
  );
}
