import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { checkReason, quote } from "../shared/rules.ts";
import { decideCreate } from "./_create.ts";
import { canTransition } from "./status.ts";
import type {
  CancelOrder,
  OrderCommand,
  OrderEvent,
  OrderState,
  UpdateOrderStatus,
} from "./types.ts";

/** Decides which events an order command produces, or throws the rule it breaks. */
export function decide(command: OrderCommand, state: OrderState | null): OrderEvent[] {
  switch (command.type) {
    case "CreateOrder":
      return decideCreate(command, state);
    case "UpdateOrderStatus":
      return decideStatus(command, existing(state, command.id));
    case "CancelOrder":
      return decideCancel(command, existing(state, command.id));
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}

function existing(state: OrderState | null, id: string): OrderState {
  if (!state) {
    throw new NotFoundError(`Order ${quote(id)} does not exist`, { field: "id" });
  }
  return state;
}

function decideStatus(command: UpdateOrderStatus, state: OrderState): OrderEvent[] {
  if (command.status === "cancelled") {
    return decideCancel({ ...command, type: "CancelOrder", reason: command.reason ?? "" }, state);
  }
  if (!canTransition(state.status, command.status)) {
    throw new PreconditionError(
      `Cannot change order ${quote(state.id)} from ${quote(state.status)} to ${
        quote(command.status)
      }: not an allowed transition`,
      { field: "status" },
    );
  }
  return [{
    type: "OrderStatusChanged",
    data: {
      id: state.id,
      from: state.status,
      to: command.status,
      reason: checkReason(command.reason),
      changedAt: command.at,
    },
  }];
}

function decideCancel(command: CancelOrder, state: OrderState): OrderEvent[] {
  if (state.status === "cancelled" || state.status === "completed") {
    throw new PreconditionError(
      `Cannot cancel order ${quote(state.id)}: it is ${
        state.status === "cancelled" ? "already cancelled" : "completed"
      }`,
      { field: "id" },
    );
  }
  if (!canTransition(state.status, "cancelled")) {
    throw new PreconditionError(
      `Cannot cancel order ${quote(state.id)}: an order that is ${
        quote(state.status)
      } cannot be cancelled`,
      { field: "id" },
    );
  }
  return [{
    type: "OrderCancelled",
    data: {
      id: state.id,
      from: state.status,
      reason: checkReason(command.reason),
      cancelledAt: command.at,
    },
  }];
}
