import { sagaStepCommands } from "@proto/command/v1/contract.ts";
import { auditOf } from "@shared/auth/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { ValidationError } from "@shared/errors/mod.ts";
import type { EventMetadata } from "@shared/event_store/mod.ts";
import type { CallContext } from "@shared/grpc/contract.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import type { CommandDeps } from "../deps.ts";
import type { InternalCommandOptions } from "../envelope.ts";
import { releaseInventory, reserveInventory } from "./inventory.ts";
import { processPayment, refundPayment } from "./payment.ts";
import { arrangeShipping, cancelShipping } from "./shipment.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Binds the order saga's step RPCs (SagaStepCommands), which the access
 * policy lets only a service identity call. Each runs the step under the
 * caller's x-command-id, as the saga's own command: queued per stream in
 * this process and run again on a concurrent write, so a step is never
 * refused for a race, and the same id takes effect once however often the
 * saga sends it.
 */
export function sagaStepHandlers(deps: CommandDeps): ServiceBinding {
  return bind(sagaStepCommands, {
    reserveInventory: (input, context) => reserveInventory(deps, input, stepOf(context)),
    releaseInventory: (input, context) => releaseInventory(deps, input, stepOf(context)),
    processPayment: (input, context) => processPayment(deps, input, stepOf(context)),
    refundPayment: (input, context) => refundPayment(deps, input, stepOf(context)),
    arrangeShipping: (input, context) => arrangeShipping(deps, input, stepOf(context)),
    cancelShipping: (input, context) => cancelShipping(deps, input, stepOf(context)),
  }) as ServiceBinding;
}

/**
 * The command id and metadata of a step call. The id is required: it is
 * what makes the step take effect once. The correlation, causation and
 * trace context are kept, and the tenant the saga's token names; the user
 * recorded is the saga's identity, never one the metadata claims.
 */
function stepOf(context: CallContext): InternalCommandOptions {
  const { commandId, correlationId, causationId, traceparent } = context.metadata;
  if (commandId === undefined) {
    throw new ValidationError([{
      field: "x-command-id",
      message: "is required: a saga step takes effect once per command id",
    }]);
  }
  if (!UUID.test(commandId)) {
    throw new ValidationError([{
      field: "x-command-id",
      message: `must be a UUID, got ${quote(commandId)}`,
    }]);
  }
  const { tenantId } = auditOf(context.principal);
  const metadata: EventMetadata = Object.fromEntries(
    Object.entries({ correlationId, causationId, traceparent, tenantId })
      .filter(([, v]) => v !== undefined),
  );
  return { commandId, metadata };
}
