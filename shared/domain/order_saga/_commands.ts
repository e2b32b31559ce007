import { deriveId, inventoryIdFor, paymentIdFor, shipmentIdFor } from "../shared/ids.ts";
import type { Compensation, OrderSagaState, SagaCommand } from "./types.ts";

/** The deterministic id of a saga command: the order id and the step's key. */
export function sagaCommandId(orderId: string, key: string): string {
  return deriveId("order-saga-command", orderId, key);
}

function reserve(state: OrderSagaState, productId: string, quantity: number): SagaCommand {
  const { orderId } = state;
  return {
    commandId: sagaCommandId(orderId, `reserve-inventory/${productId}`),
    aggregateType: "Inventory",
    streamId: inventoryIdFor(productId),
    command: { type: "ReserveInventory", orderId, productId, quantity },
  };
}

function forward(state: OrderSagaState): SagaCommand[] {
  const { orderId, order } = state;
  switch (state.currentStep) {
    case "reserve_inventory":
      return order.items
        .filter((item) => !state.reservedProductIds.includes(item.productId))
        .map((item) => reserve(state, item.productId, item.quantity));
    case "process_payment":
      return [{
        commandId: sagaCommandId(orderId, "process-payment"),
        aggregateType: "Payment",
        streamId: paymentIdFor(orderId),
        command: {
          type: "ProcessPayment",
          paymentId: paymentIdFor(orderId),
          orderId,
          amount: order.total,
        },
      }];
    case "arrange_shipping":
      return [{
        commandId: sagaCommandId(orderId, "arrange-shipping"),
        aggregateType: "Shipment",
        streamId: shipmentIdFor(orderId),
        command: {
          type: "ArrangeShipping",
          shipmentId: shipmentIdFor(orderId),
          orderId,
          address: order.shippingAddress,
        },
      }];
    case "confirm_order":
      return [{
        commandId: sagaCommandId(orderId, "confirm-order"),
        aggregateType: "Order",
        streamId: orderId,
        command: { type: "UpdateOrderStatus", id: orderId, status: "confirmed" },
      }];
    case null:
      return [];
    default: {
      const _never: never = state.currentStep;
      return [];
    }
  }
}

function compensate(orderId: string, compensation: Compensation): SagaCommand[] {
  switch (compensation.step) {
    case "reserve_inventory": {
      const productId = compensation.productId!;
      return [{
        commandId: sagaCommandId(orderId, `release-inventory/${productId}`),
        aggregateType: "Inventory",
        streamId: inventoryIdFor(productId),
        command: { type: "ReleaseInventory", orderId, productId },
      }];
    }
    case "process_payment":
      return [{
        commandId: sagaCommandId(orderId, "refund-payment"),
        aggregateType: "Payment",
        streamId: paymentIdFor(orderId),
        command: { type: "RefundPayment", paymentId: paymentIdFor(orderId), orderId },
      }];
    case "arrange_shipping":
      return [{
        commandId: sagaCommandId(orderId, "cancel-shipping"),
        aggregateType: "Shipment",
        streamId: shipmentIdFor(orderId),
        command: { type: "CancelShipping", shipmentId: shipmentIdFor(orderId), orderId },
      }];
    case "confirm_order":
      return [];
    default: {
      const _never: never = compensation.step;
      return [];
    }
  }
}

/** The command that cancels the order once everything is compensated. */
export function cancelOrderCommand(state: OrderSagaState): SagaCommand {
  return {
    commandId: sagaCommandId(state.orderId, "cancel-order"),
    aggregateType: "Order",
    streamId: state.orderId,
    command: {
      type: "CancelOrder",
      id: state.orderId,
      reason: state.failureReason ?? "The order saga failed",
    },
  };
}

/**
 * The compensations running now: the first pending one and those of the same
 * step (the inventory releases run in parallel; steps run one after another).
 */
export function currentPhase(state: OrderSagaState): Compensation[] {
  const first = state.pendingCompensations[0];
  return first ? state.pendingCompensations.filter((c) => c.step === first.step) : [];
}

/**
 * The commands that should be in flight for a saga state. The runner sends
 * them again after a restart or a retry; their ids make that harmless.
 */
export function pendingCommands(state: OrderSagaState | null): SagaCommand[] {
  if (!state) return [];
  switch (state.status) {
    case "started":
    case "processing":
      return forward(state);
    case "compensating":
      if (state.pendingCompensations.length === 0) {
        return state.cancelOrder ? [cancelOrderCommand(state)] : [];
      }
      return currentPhase(state).flatMap((c) => compensate(state.orderId, c));
    case "failed":
    case "completed":
    case "compensated":
      return [];
    default: {
      const _never: never = state.status;
      return [];
    }
  }
}
