import { sagaStepCommands } from "@proto/command/v1/contract.ts";
import { rpcOf } from "@shared/application/command.ts";
import * as shipment from "@shared/domain/shipment/mod.ts";
import type { Address } from "@shared/domain/shipment/mod.ts";
import { shipments } from "@shared/application/aggregates.ts";
import { defineCommand } from "../deps.ts";

/** What ArrangeShipping needs; `shipmentId` defaults to `shipmentIdFor(orderId)`. */
export interface ArrangeShippingInput {
  orderId: string;
  address: Address;
  shipmentId?: string | undefined;
}

/** What CancelShipping needs; `shipmentId` defaults to `shipmentIdFor(orderId)`. */
export interface CancelShippingInput {
  orderId: string;
  shipmentId?: string | undefined;
}

const shipmentOf = (input: { orderId: string; shipmentId?: string | undefined }) =>
  input.shipmentId ?? shipment.shipmentIdFor(input.orderId);

/**
 * ArrangeShipping, for the saga: ShippingArranged or ShippingFailed, on the
 * stream `shipmentIdFor(orderId)`. The carrier is asked for the booking the
 * domain says is due (none once anything was booked, refused or cancelled),
 * with the command id as its idempotency key.
 */
export const arrangeShippingCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "arrangeShipping"),
  step: true,
  aggregate: shipments,
  stream: (input: ArrangeShippingInput) => shipmentOf(input),
  load: async (input, { deps, envelope, streamId, self }) => {
    const due = shipment.bookingDue(input, (await self).state);
    return due && await deps.carrier.book({
      shipmentId: streamId,
      orderId: input.orderId,
      address: due.address,
      idempotencyKey: envelope.commandId,
    });
  },
  decide: (input, { state, with: outcome }, envelope) =>
    outcome
      ? shipment.decide({
        type: "ArrangeShipping",
        shipmentId: shipmentOf(input),
        orderId: input.orderId,
        address: input.address,
        outcome,
        at: envelope.at,
      }, state)
      : [],
});

/**
 * CancelShipping, the saga's compensation of a booking: ShippingCancelled
 * (`wasArranged` false when nothing was booked, which also blocks a late
 * booking). The carrier cancels only a booked delivery; cancelling twice emits once.
 */
export const cancelShippingCommand = defineCommand({
  rpc: rpcOf(sagaStepCommands, "cancelShipping"),
  step: true,
  aggregate: shipments,
  stream: (input: CancelShippingInput) => shipmentOf(input),
  load: async (input, { deps, envelope, streamId, self }) => {
    const due = shipment.cancellationDue((await self).state);
    if (due) {
      await deps.carrier.cancel({
        shipmentId: streamId,
        orderId: input.orderId,
        ...due,
        idempotencyKey: envelope.commandId,
      });
    }
  },
  decide: (input, { state }, envelope) =>
    shipment.decide({
      type: "CancelShipping",
      shipmentId: shipmentOf(input),
      orderId: input.orderId,
      at: envelope.at,
    }, state),
});
