import * as saga from "@shared/domain/order_saga/mod.ts";
import { load, orders, sagas } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import type { Envelope } from "../envelope.ts";
import { requireOwner } from "../owner.ts";
import { runCommand } from "../run.ts";
import type { StartOrderSagaInput } from "./_inputs.ts";
import { orderView } from "./order_view.ts";

/**
 * StartOrderSaga: records the saga's start decision (SagaStarted, with the
 * configured timeouts) on the stream `sagaIdFor(orderId)`; the outcome names
 * that stream. The order must exist and be pending; a saga that already
 * started is left as it is. A customer may check out only their own
 * order. Sending the steps is the saga runner's work: it reacts to
 * SagaStarted. It answers with the order (unchanged by the start).
 */
export async function startOrderSaga(
  deps: CommandDeps,
  input: StartOrderSagaInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { orderId } = input;
  const sagaId = saga.sagaIdFor(orderId);
  return await runCommand(deps, envelope, {
    primaryId: sagaId,
    // The saga worker starts it on OrderCreated too: whoever loses sees it started.
    rerunOnConflict: true,
    attempt: async () => {
      const [placed, current] = await Promise.all([
        load(deps.store, orders, orderId),
        load(deps.store, sagas, sagaId),
      ]);
      if (placed.state) {
        requireOwner(envelope.actor, placed.state.customerId, "check out an order of");
      }
      const { events } = saga.decide(
        { type: "StartOrderSaga", orderId, order: placed.state ?? undefined, at: envelope.at },
        current.state,
        deps.sagaOptions,
      );
      return await commit(deps.store, [{
        streamId: sagaId,
        aggregateType: sagas.type,
        events,
        loadedVersion: current.version,
      }], { envelope, view: () => orderView(placed.state) });
    },
  });
}
