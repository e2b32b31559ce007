/**
 * The order saga (process manager): reserve every item, charge the total,
 * arrange shipping, confirm the order; on a failure, a timeout or a
 * cancellation, undo the completed steps in reverse order and cancel the
 * order. Stream id: `sagaIdFor(orderId)`.
 *
 * The runner: feeds it the events of the order, inventory, payment and
 * shipment streams (with the time observed), CheckSagaTimeout at
 * `nextDeadline(state)`, and SagaCommandRejected when a command it sent is
 * refused; records its events, then sends its commands with their ids. After a
 * restart it sends `pendingCommands(state)` again for every unfinished saga.
 * Compensations have no timeout: the runner retries `pendingCommands(state)`
 * with backoff until their events arrive (every compensation is idempotent).
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  initialState,
  type OrderSagaEvent,
  type OrderSagaState,
  type SagaDecision,
  type SagaInput,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";
export { cancelOrderCommand, pendingCommands, sagaCommandId } from "./_commands.ts";
export { sagaIdFor } from "../shared/ids.ts";

/** The aggregate type recorded with saga events. */
export const ORDER_SAGA = "OrderSaga";

/** The saga decider (default timeouts), for the runner and specs. */
export const orderSagaDecider: Decider<
  SagaInput,
  OrderSagaEvent,
  OrderSagaState | null,
  SagaDecision
> = {
  decide: (input, state) => decide(input, state),
  evolve,
  initialState,
};
