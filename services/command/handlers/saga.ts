import { orderCommands } from "@proto/command/v1/contract.ts";
import * as saga from "@shared/domain/order_saga/mod.ts";
import { load, orders, sagas } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import { defineCommand } from "../deps.ts";
import { requireOwner } from "../owner.ts";
import { orderView } from "./order_view.ts";

/**
 * StartOrderSaga: records the saga's start decision (SagaStarted, with the
 * configured timeouts) on the stream `sagaIdFor(orderId)`; the outcome names
 * that stream. The order must exist and be pending; a saga that already
 * started is left as it is. A customer may check out only their own
 * order. Sending the steps is the saga runner's work: it reacts to
 * SagaStarted. It answers with the order (unchanged by the start).
 */
export const startOrderSaga = defineCommand({
  rpc: rpcOf(orderCommands, "startOrderSaga"),
  aggregate: sagas,
  stream: (input) => saga.sagaIdFor(input.orderId),
  // The saga worker starts it on OrderCreated too: whoever loses sees it started.
  rerunOnConflict: true,
  load: async (input, { deps }) => ({
    order: await load(deps, orders, input.orderId),
    sagaOptions: deps.sagaOptions,
  }),
  decide: (input, { state, with: { order, sagaOptions } }, envelope) => {
    if (order.state) requireOwner(envelope.actor, order.state.customerId, "check out an order of");
    return saga.decide(
      {
        type: "StartOrderSaga",
        orderId: input.orderId,
        order: order.state ?? undefined,
        at: envelope.at,
      },
      state,
      sagaOptions,
    ).events;
  },
  view: ({ loaded }) => orderView(loaded.with.order.state),
});
