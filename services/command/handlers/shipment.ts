import * as shipment from "@shared/domain/shipment/mod.ts";
import type { Address, ShippingOutcome } from "@shared/domain/shipment/mod.ts";
import { load, shipments } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type InternalCommandOptions, internalEnvelope } from "../envelope.ts";
import { runCommand } from "../run.ts";

/** What ArrangeShipping needs; `shipmentId` defaults to `shipmentIdFor(orderId)`. */
export interface ArrangeShippingInput {
  orderId: string;
  address: Address;
  shipmentId?: string | undefined;
}

/** Stands in for the carrier's answer while the decider only validates. */
const NOT_CALLED: ShippingOutcome = { status: "failed", reason: "The carrier was not called" };

/**
 * ArrangeShipping, for the saga: ShippingArranged or ShippingFailed, on the
 * stream `shipmentIdFor(orderId)`. The carrier is called only when the
 * decider would record its answer, with the command id as its idempotency key.
 */
export async function arrangeShipping(
  deps: CommandDeps,
  input: ArrangeShippingInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  const shipmentId = input.shipmentId ?? shipment.shipmentIdFor(input.orderId);
  return await runCommand(deps, envelope, {
    primaryId: shipmentId,
    attempt: async () => {
      const current = await load(deps.store, shipments, shipmentId);
      const decideWith = (outcome: ShippingOutcome) =>
        shipment.decide({
          type: "ArrangeShipping",
          shipmentId,
          orderId: input.orderId,
          address: input.address,
          outcome,
          at: envelope.at,
        }, current.state);
      const planned = decideWith(NOT_CALLED);
      const events = planned.length === 0 ? [] : decideWith(
        await deps.carrier.book({
          shipmentId,
          orderId: input.orderId,
          address: input.address,
          idempotencyKey: envelope.commandId,
        }),
      );
      return await commit(deps.store, [{
        streamId: shipmentId,
        aggregateType: shipments.type,
        events,
        loadedVersion: current.version,
      }], { envelope });
    },
  });
}

/** What CancelShipping needs; `shipmentId` defaults to `shipmentIdFor(orderId)`. */
export interface CancelShippingInput {
  orderId: string;
  shipmentId?: string | undefined;
}

/**
 * CancelShipping, the saga's compensation of a booking: ShippingCancelled
 * (`wasArranged` false when nothing was booked, which also blocks a late
 * booking). The carrier cancels only a booked delivery; cancelling twice emits once.
 */
export async function cancelShipping(
  deps: CommandDeps,
  input: CancelShippingInput,
  options: InternalCommandOptions,
): Promise<CommandOutcome> {
  const envelope = internalEnvelope(deps, options);
  const shipmentId = input.shipmentId ?? shipment.shipmentIdFor(input.orderId);
  return await runCommand(deps, envelope, {
    primaryId: shipmentId,
    attempt: async () => {
      const current = await load(deps.store, shipments, shipmentId);
      const state = current.state;
      const events = shipment.decide(
        { type: "CancelShipping", shipmentId, orderId: input.orderId, at: envelope.at },
        state,
      );
      if (events.length > 0 && state?.status === "arranged") {
        await deps.carrier.cancel({
          shipmentId,
          orderId: input.orderId,
          trackingNumber: state.trackingNumber,
          idempotencyKey: envelope.commandId,
        });
      }
      return await commit(deps.store, [{
        streamId: shipmentId,
        aggregateType: shipments.type,
        events,
        loadedVersion: current.version,
      }], { envelope });
    },
  });
}
