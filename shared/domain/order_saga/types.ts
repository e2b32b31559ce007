import type { InventoryEvent, ReleaseInventory, ReserveInventory } from "../inventory/types.ts";
import type { CancelOrder, OrderEvent, OrderState, UpdateOrderStatus } from "../order/types.ts";
import type { PaymentEvent, ProcessPayment, RefundPayment } from "../payment/types.ts";
import type { Address } from "../shared/address.ts";
import type { ArrangeShipping, CancelShipping, ShipmentEvent } from "../shipment/types.ts";

/** The steps of the saga, in order. */
export const SAGA_STEPS = [
  "reserve_inventory",
  "process_payment",
  "arrange_shipping",
  "confirm_order",
] as const;

/** One step of the saga. */
export type SagaStep = typeof SAGA_STEPS[number];

/** Every status a saga can have. */
export const SAGA_STATUSES = [
  "started",
  "processing",
  "compensating",
  "completed",
  "failed",
  "compensated",
] as const;

/**
 * Where a saga stands: started (step 1 sent) → processing (a step done) →
 * completed; on a failure, failed → compensating → compensated.
 */
export type SagaStatus = typeof SAGA_STATUSES[number];

/** Timeouts of a saga, recorded when it starts so a restart keeps them. */
export interface SagaOptions {
  /** How long one step may take; default 30 s. */
  stepTimeoutMs: number;
  /** How long the whole saga may take; default 300 s. */
  sagaTimeoutMs: number;
}

/** The timeouts DOMAIN.md gives. */
export const DEFAULT_SAGA_OPTIONS: SagaOptions = { stepTimeoutMs: 30_000, sagaTimeoutMs: 300_000 };

/** What the saga needs to know of its order. */
export type SagaOrder = {
  items: { productId: string; quantity: number }[];
  /** Decimal string ("55.00"). */
  total: string;
  shippingAddress: Address;
};

/** One compensation: the step to undo, and the product for the inventory step. */
export type Compensation = { step: SagaStep; productId: string | null };

/** An event of another aggregate, with the time the saga observed it. */
export type Observed<E> = E extends unknown ? E & { at: string } : never;

/** The events the saga reacts to (others of these aggregates are ignored). */
export type SagaObservedEvent = Observed<
  OrderEvent | InventoryEvent | PaymentEvent | ShipmentEvent
>;

/**
 * Starts the saga of an existing order (the startOrderSaga mutation).
 * The handler loads `order`, the order's state.
 */
export type StartOrderSaga = {
  type: "StartOrderSaga";
  orderId: string;
  order?: OrderState | undefined;
  at: string;
};

/** A timer tick: the runner sends it at `nextDeadline(state)`. */
export type CheckSagaTimeout = { type: "CheckSagaTimeout"; orderId: string; at: string };

/**
 * A command the saga sent was refused by its handler (an error, not an
 * event); the runner reports it so the saga does not wait forever.
 */
export type SagaCommandRejected = {
  type: "SagaCommandRejected";
  orderId: string;
  commandId: string;
  reason: string;
  at: string;
};

/** Everything the saga reacts to. */
export type SagaInput = SagaObservedEvent | StartOrderSaga | CheckSagaTimeout | SagaCommandRejected;

/** A command the saga asks for; the handler adds the time and the facts it loads or obtains. */
export type SagaCommandBody =
  | Omit<ReserveInventory, "at">
  | Omit<ReleaseInventory, "at">
  | Omit<ProcessPayment, "at" | "outcome">
  | Omit<RefundPayment, "at">
  | Omit<ArrangeShipping, "at" | "outcome">
  | Omit<CancelShipping, "at">
  | Omit<UpdateOrderStatus, "at">
  | Omit<CancelOrder, "at">;

/** A command to send, with its deterministic id and the stream it goes to. */
export type SagaCommand = {
  /** Derived from the order id and the step: sending it twice takes effect once. */
  commandId: string;
  aggregateType: "Inventory" | "Payment" | "Shipment" | "Order";
  streamId: string;
  command: SagaCommandBody;
};

type SagaData<T> = { sagaId: string; orderId: string } & T;

/** The saga of an order started. */
export type SagaStarted = {
  type: "SagaStarted";
  data: SagaData<{
    order: SagaOrder;
    stepTimeoutMs: number;
    sagaTimeoutMs: number;
    startedAt: string;
  }>;
};

/**
 * A step completed; for the inventory step, `productId` names one reserved
 * item, and a final event with `productId: null` completes the step.
 */
export type SagaStepCompleted = {
  type: "SagaStepCompleted";
  data: SagaData<{ step: SagaStep; productId: string | null; completedAt: string }>;
};

/** A step failed or timed out; compensation follows. */
export type SagaFailed = {
  type: "SagaFailed";
  data: SagaData<{ step: SagaStep | null; reason: string; failedAt: string }>;
};

/** Compensation began: `compensations` in the order they run (reverse step order). */
export type SagaCompensationStarted = {
  type: "SagaCompensationStarted";
  data: SagaData<{
    reason: string;
    compensations: Compensation[];
    /** Whether the saga cancels the order once compensated (not when the order was cancelled). */
    cancelOrder: boolean;
    startedAt: string;
  }>;
};

/** One compensation was confirmed by its aggregate's event. */
export type SagaStepCompensated = {
  type: "SagaStepCompensated";
  data: SagaData<{ step: SagaStep; productId: string | null; compensatedAt: string }>;
};

/** Every compensation is done and the order is cancelled. */
export type SagaCompensated = {
  type: "SagaCompensated";
  data: SagaData<{ compensatedAt: string }>;
};

/** Every step is done: the order is confirmed. */
export type SagaCompleted = {
  type: "SagaCompleted";
  data: SagaData<{ completedAt: string }>;
};

/** Order saga events. */
export type OrderSagaEvent =
  | SagaStarted
  | SagaStepCompleted
  | SagaFailed
  | SagaCompensationStarted
  | SagaStepCompensated
  | SagaCompensated
  | SagaCompleted;

/** What the saga decides: events to record, commands to send. */
export interface SagaDecision {
  events: OrderSagaEvent[];
  commands: SagaCommand[];
}

/** The state of one order's saga (what GetSagaState shows). */
export interface OrderSagaState {
  sagaId: string;
  orderId: string;
  status: SagaStatus;
  order: SagaOrder;
  /** The step in progress, or being compensated; null when finished. */
  currentStep: SagaStep | null;
  completedSteps: SagaStep[];
  /** Items whose reservation is confirmed. */
  reservedProductIds: string[];
  /** Compensations not yet confirmed, in the order they run. */
  pendingCompensations: Compensation[];
  /** Whether the saga cancels the order after compensating. */
  cancelOrder: boolean;
  failedStep: SagaStep | null;
  failureReason: string | null;
  stepTimeoutMs: number;
  sagaTimeoutMs: number;
  startedAt: string;
  /** When the current step started (the saga's last forward move). */
  stepStartedAt: string;
  completedAt: string | null;
  version: number;
}

/** The state before any event. */
export const initialState: OrderSagaState | null = null;
