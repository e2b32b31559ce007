import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import type { OrderCreated, OrderState } from "../order/types.ts";
import { formatCents } from "../shared/money.ts";
import { sagaIdFor } from "../shared/ids.ts";
import { quote } from "../shared/rules.ts";
import { pendingCommands } from "./_commands.ts";
import { acknowledge, fail, onOrderCancelled, onRejected, onTimeout } from "./_compensate.ts";
import { ids, isRunning } from "./_state.ts";
import { evolve } from "./evolve.ts";
import {
  DEFAULT_SAGA_OPTIONS,
  type OrderSagaEvent,
  type OrderSagaState,
  type SagaDecision,
  type SagaInput,
  type SagaOptions,
  type SagaOrder,
  type SagaStep,
} from "./types.ts";

/**
 * Decides what the saga of an order does on an input: the saga events to
 * record and the commands to send next. Pure: time comes with the input.
 * Inputs that do not concern the saga's current step (duplicates, late
 * answers, other orders) decide nothing.
 */
export function decide(
  input: SagaInput,
  state: OrderSagaState | null,
  options: SagaOptions = DEFAULT_SAGA_OPTIONS,
): SagaDecision {
  const events = decideEvents(input, state, options);
  const after = events.reduce<OrderSagaState | null>(evolve, state);
  const sent = new Set(pendingCommands(state).map((c) => c.commandId));
  return { events, commands: pendingCommands(after).filter((c) => !sent.has(c.commandId)) };
}

/** The order id an input concerns, to route it to its saga; null for none. */
export function orderIdOf(input: SagaInput): string | null {
  switch (input.type) {
    case "OrderCreated":
    case "OrderStatusChanged":
    case "OrderCancelled":
      return input.data.id;
    case "InventoryReserved":
    case "InventoryReservationFailed":
    case "InventoryReleased":
    case "PaymentProcessed":
    case "PaymentFailed":
    case "PaymentRefunded":
    case "ShippingArranged":
    case "ShippingFailed":
    case "ShippingCancelled":
      return input.data.orderId;
    case "StartOrderSaga":
    case "CheckSagaTimeout":
    case "SagaCommandRejected":
      return input.orderId;
    case "StockSet":
      return null;
    default: {
      const _never: never = input;
      return null;
    }
  }
}

/** When the runner should send CheckSagaTimeout next; null when no step is running. */
export function nextDeadline(state: OrderSagaState | null): string | null {
  if (!isRunning(state)) return null;
  const step = Date.parse(state.stepStartedAt) + state.stepTimeoutMs;
  const saga = Date.parse(state.startedAt) + state.sagaTimeoutMs;
  return new Date(Math.min(step, saga)).toISOString();
}

function decideEvents(
  input: SagaInput,
  state: OrderSagaState | null,
  options: SagaOptions,
): OrderSagaEvent[] {
  const orderId = orderIdOf(input);
  if (state && orderId !== state.orderId) return [];
  const at = input.at;
  switch (input.type) {
    case "OrderCreated":
      return state ? [] : start(input.data.id, fromCreated(input.data), at, options);
    case "StartOrderSaga":
      return state ? [] : start(input.orderId, fromState(input.orderId, input.order), at, options);
    case "InventoryReserved": {
      const { productId } = input.data;
      if (!awaitsReservation(state, productId)) return [];
      const events = [completed(state, "reserve_inventory", productId, at)];
      if (state.reservedProductIds.length + 1 === state.order.items.length) {
        events.push(completed(state, "reserve_inventory", null, at));
      }
      return events;
    }
    case "InventoryReservationFailed": {
      const { productId, reason } = input.data;
      if (!awaitsReservation(state, productId)) return [];
      return fail(state, `Cannot reserve product ${quote(productId)}: ${reason}`, at, {
        inFlight: true,
        exclude: [productId],
      });
    }
    case "PaymentProcessed":
      return awaits(state, "process_payment")
        ? [completed(state, "process_payment", null, at)]
        : [];
    case "PaymentFailed":
      return awaits(state, "process_payment")
        ? fail(state, `Payment failed: ${input.data.reason}`, at, { inFlight: false })
        : [];
    case "ShippingArranged":
      return awaits(state, "arrange_shipping")
        ? [completed(state, "arrange_shipping", null, at)]
        : [];
    case "ShippingFailed":
      return awaits(state, "arrange_shipping")
        ? fail(state, `Shipping failed: ${input.data.reason}`, at, { inFlight: false })
        : [];
    case "OrderStatusChanged":
      if (input.data.to !== "confirmed" || !awaits(state, "confirm_order")) return [];
      return [
        completed(state, "confirm_order", null, at),
        { type: "SagaCompleted", data: { ...ids(state), completedAt: at } },
      ];
    case "OrderCancelled":
      return onOrderCancelled(state, input.data.reason, at);
    case "InventoryReleased":
      return acknowledge(state, { step: "reserve_inventory", productId: input.data.productId }, at);
    case "PaymentRefunded":
      return acknowledge(state, { step: "process_payment", productId: null }, at);
    case "ShippingCancelled":
      return acknowledge(state, { step: "arrange_shipping", productId: null }, at);
    case "CheckSagaTimeout":
      return onTimeout(state, at);
    case "SagaCommandRejected":
      return onRejected(state, input.commandId, input.reason, at);
    case "StockSet":
      return [];
    default: {
      const _never: never = input;
      return [];
    }
  }
}

function start(
  orderId: string,
  order: SagaOrder,
  at: string,
  options: SagaOptions,
): OrderSagaEvent[] {
  return [{
    type: "SagaStarted",
    data: {
      sagaId: sagaIdFor(orderId),
      orderId,
      order,
      stepTimeoutMs: options.stepTimeoutMs,
      sagaTimeoutMs: options.sagaTimeoutMs,
      startedAt: at,
    },
  }];
}

function fromCreated(data: OrderCreated["data"]): SagaOrder {
  return {
    items: data.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
    total: data.total,
    shippingAddress: data.shippingAddress,
  };
}

function fromState(orderId: string, order: OrderState | undefined): SagaOrder {
  if (order?.id !== orderId) {
    throw new NotFoundError(`Cannot start the saga of order ${quote(orderId)}: it does not exist`, {
      field: "orderId",
    });
  }
  if (order.status !== "pending") {
    throw new PreconditionError(
      `Cannot start the saga of order ${quote(orderId)}: it is ${
        quote(order.status)
      }, not "pending"`,
      { field: "orderId" },
    );
  }
  return {
    items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
    total: formatCents(order.total),
    shippingAddress: order.shippingAddress,
  };
}

function awaits(state: OrderSagaState | null, step: SagaStep): state is OrderSagaState {
  return isRunning(state) && state.currentStep === step;
}

function awaitsReservation(
  state: OrderSagaState | null,
  productId: string,
): state is OrderSagaState {
  return awaits(state, "reserve_inventory") &&
    state.order.items.some((i) => i.productId === productId) &&
    !state.reservedProductIds.includes(productId);
}

function completed(
  state: OrderSagaState,
  step: SagaStep,
  productId: string | null,
  at: string,
): OrderSagaEvent {
  return { type: "SagaStepCompleted", data: { ...ids(state), step, productId, completedAt: at } };
}
