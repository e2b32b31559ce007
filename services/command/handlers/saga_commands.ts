import type { SagaCommand } from "@shared/domain/order_saga/mod.ts";
import type { EventMetadata } from "@shared/event_store/mod.ts";
import type { CommandOutcome } from "@shared/application/commit.ts";
import type { CommandDeps } from "../deps.ts";
import { releaseInventory, reserveInventory } from "./inventory.ts";
import { cancelOrder, updateOrderStatus } from "./order.ts";
import { processPayment, refundPayment } from "./payment.ts";
import { arrangeShipping, cancelShipping } from "./shipment.ts";

/**
 * Runs a command the order saga decided, in-process, under its
 * deterministic command id: sending it again (after a restart, a retry)
 * returns the first result and appends nothing. A refusal throws the
 * domain's error, for the runner to report as SagaCommandRejected.
 */
export async function runSagaCommand(
  deps: CommandDeps,
  sent: SagaCommand,
  options: { metadata?: EventMetadata } = {},
): Promise<CommandOutcome> {
  const internal = { commandId: sent.commandId, metadata: options.metadata ?? {} };
  const command = sent.command;
  switch (command.type) {
    case "ReserveInventory":
      return await reserveInventory(deps, command, internal);
    case "ReleaseInventory":
      return await releaseInventory(deps, command, internal);
    case "ProcessPayment":
      return await processPayment(deps, command, internal);
    case "RefundPayment":
      return await refundPayment(deps, command, internal);
    case "ArrangeShipping":
      return await arrangeShipping(deps, command, internal);
    case "CancelShipping":
      return await cancelShipping(deps, command, internal);
    case "UpdateOrderStatus":
      return await updateOrderStatus(deps, command, internal);
    case "CancelOrder":
      return await cancelOrder(deps, command, internal);
    default: {
      const never: never = command;
      throw new TypeError(`Unknown saga command "${(never as { type: string }).type}"`);
    }
  }
}
