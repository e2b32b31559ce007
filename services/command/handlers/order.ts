import { orderCommands } from "@proto/command/v1/contract.ts";
import * as order from "@shared/domain/order/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { load, orders, products, requireFreeId } from "@shared/application/aggregates.ts";
import { type CommandRpc, rpcOf } from "@shared/application/command.ts";
import { defineCommand } from "../deps.ts";
import { requireOwner } from "../owner.ts";
import { orderView } from "./order_view.ts";

/**
 * CreateOrder. The decider gets the state of every product the items name
 * (names and prices are taken from them now). Without an id, the id derives
 * from the command id. A customer may order only for themselves.
 */
export const createOrder = defineCommand({
  rpc: rpcOf(orderCommands, "createOrder"),
  aggregate: orders,
  stream: (input, envelope) => input.id ?? deriveId("order", envelope.commandId),
  authorize: (input, actor) => requireOwner(actor, input.customerId, "create an order for"),
  load: (input, { deps }) => {
    const productIds = [...new Set(input.items.map((item) => item.productId))];
    return Promise.all(productIds.map((productId) => load(deps, products, productId)));
  },
  decide: (input, self, envelope) => {
    requireFreeId(self, self.streamId, "create order");
    return order.decide({
      type: "CreateOrder",
      id: self.streamId,
      customerId: input.customerId,
      items: input.items,
      shippingAddress: input.shippingAddress,
      products: self.with.flatMap((item) => item.state ? [item.state] : []),
      at: envelope.at,
    }, self.state);
  },
  view: ({ after }) => orderView(after),
});

/** CancelOrder; the saga reacts to OrderCancelled by compensating what it did. */
export const cancelOrderCommand = defineCommand({
  rpc: rpcOf(orderCommands, "cancelOrder"),
  aggregate: orders,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) => {
    if (state) requireOwner(envelope.actor, state.customerId, "cancel an order of");
    return order.decide(
      { type: "CancelOrder", id: input.id, reason: input.reason, at: envelope.at },
      state,
    );
  },
  view: ({ after }) => orderView(after),
});

// The saga also sends a reason, which the RPC does not take.
const updateOrderStatusRpc: CommandRpc<UpdateOrderStatusInput> = rpcOf(
  orderCommands,
  "updateOrderStatus",
);

/** UpdateOrderStatus, along the allowed transitions only (to "cancelled" it cancels). */
export const updateOrderStatusCommand = defineCommand({
  rpc: updateOrderStatusRpc,
  aggregate: orders,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) => {
    if (state) requireOwner(envelope.actor, state.customerId, "update an order of");
    return order.decide({
      type: "UpdateOrderStatus",
      id: input.id,
      status: input.status,
      reason: input.reason,
      at: envelope.at,
    }, state);
  },
  view: ({ after }) => orderView(after),
});

/** What CancelOrder needs, in-process. */
export type CancelOrderInput = Omit<order.CancelOrder, "type" | "at">;

/** What UpdateOrderStatus needs besides its time. */
export type UpdateOrderStatusInput = Omit<order.UpdateOrderStatus, "type" | "at">;
