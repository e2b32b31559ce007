import { orderCommands } from "@proto/command/v1/contract.ts";
import { requireOwner } from "../owner.ts";
import * as order from "@shared/domain/order/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { fold, load, orders, products, requireFreeId } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type Envelope, envelopeOf } from "../envelope.ts";
import { runCommand } from "../run.ts";
import type { CancelOrderInput, CreateOrderInput } from "./_inputs.ts";
import { orderView } from "./order_view.ts";
import { startOrderSaga } from "./saga.ts";

/** Binds the order command RPCs. */
export function orderHandlers(deps: CommandDeps): ServiceBinding {
  return bind(orderCommands, {
    createOrder: (input, context) =>
      createOrder(deps, input, envelopeOf(deps, context, "createOrder", input)),
    cancelOrder: (input, context) =>
      cancelOrder(deps, input, envelopeOf(deps, context, "cancelOrder", input)),
    updateOrderStatus: (input, context) =>
      updateOrderStatus(deps, input, envelopeOf(deps, context, "updateOrderStatus", input)),
    startOrderSaga: (input, context) =>
      startOrderSaga(deps, input, envelopeOf(deps, context, "startOrderSaga", input)),
  }) as ServiceBinding;
}

/**
 * CreateOrder. The decider gets the state of every product the items name
 * (names and prices are taken from them now). Without an id, the id derives
 * from the command id.
 */
export async function createOrder(
  deps: CommandDeps,
  input: CreateOrderInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const id = input.id ?? deriveId("order", envelope.commandId);
  requireOwner(envelope.actor, input.customerId, "create an order for");
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const productIds = [...new Set(input.items.map((item) => item.productId))];
      const [self, items] = await Promise.all([
        load(store, orders, id),
        Promise.all(productIds.map((productId) => load(store, products, productId))),
      ]);
      requireFreeId(self, id, "create order");
      const events = order.decide({
        type: "CreateOrder",
        id,
        customerId: input.customerId,
        items: input.items,
        shippingAddress: input.shippingAddress,
        products: items.flatMap((item) => item.state ? [item.state] : []),
        at: envelope.at,
      }, self.state);
      return await commit(store, [{
        streamId: id,
        aggregateType: orders.type,
        events,
        loadedVersion: self.version,
      }], { envelope, view: () => orderView(fold(orders, self.state, events)) });
    },
  });
}

/** CancelOrder; the saga reacts to OrderCancelled by compensating what it did. */
export async function cancelOrder(
  deps: CommandDeps,
  input: CancelOrderInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  return await onOrder(deps, envelope, input.id, "cancel", (at) => ({
    type: "CancelOrder",
    id: input.id,
    reason: input.reason,
    at,
  }));
}

/** What UpdateOrderStatus needs besides its time. */
export type UpdateOrderStatusInput = Omit<order.UpdateOrderStatus, "type" | "at">;

/** UpdateOrderStatus, along the allowed transitions only (to "cancelled" it cancels). */
export async function updateOrderStatus(
  deps: CommandDeps,
  input: UpdateOrderStatusInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  return await onOrder(deps, envelope, input.id, "update", (at) => ({
    type: "UpdateOrderStatus",
    id: input.id,
    status: input.status,
    reason: input.reason,
    at,
  }));
}

/** Runs a command on an existing order; a customer may only touch their own orders. */
async function onOrder(
  deps: CommandDeps,
  envelope: Envelope,
  id: string,
  verb: string,
  command: (at: string) => order.OrderCommand,
): Promise<CommandOutcome> {
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const self = await load(deps.store, orders, id);
      if (self.state) requireOwner(envelope.actor, self.state.customerId, `${verb} an order of`);
      const events = order.decide(command(envelope.at), self.state);
      return await commit(deps.store, [{
        streamId: id,
        aggregateType: orders.type,
        events,
        loadedVersion: self.version,
      }], { envelope, view: () => orderView(fold(orders, self.state, events)) });
    },
  });
}
