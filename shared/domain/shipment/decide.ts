import { NotFoundError } from "@shared/errors/mod.ts";
import { type Address, checkAddress } from "../shared/address.ts";
import { quote } from "../shared/rules.ts";
import type { ArrangeShipping, ShipmentCommand, ShipmentEvent, ShipmentState } from "./types.ts";

/** Whether the carrier may be called: nothing was booked, refused or cancelled yet. */
export function canArrange(state: ShipmentState | null): boolean {
  return state === null;
}

/**
 * What the carrier must be asked to book for an ArrangeShipping on this
 * state: the delivery address, checked; null when nothing may be booked any
 * more (see {@link canArrange}), so the carrier is not called.
 */
export function bookingDue(
  command: Pick<ArrangeShipping, "address">,
  state: ShipmentState | null,
): { address: Address } | null {
  const address = checkAddress(command.address);
  return canArrange(state) ? { address } : null;
}

/**
 * What the carrier must cancel for a CancelShipping on this state: a booked
 * delivery's tracking number; null when nothing was booked or it was cancelled.
 */
export function cancellationDue(
  state: ShipmentState | null,
): { trackingNumber: string | null } | null {
  return state?.status === "arranged" ? { trackingNumber: state.trackingNumber } : null;
}

/**
 * Decides which events a shipment command produces. A shipment is booked at
 * most once: a repeated ArrangeShipping, or one after a cancellation, emits nothing.
 */
export function decide(command: ShipmentCommand, state: ShipmentState | null): ShipmentEvent[] {
  switch (command.type) {
    case "ArrangeShipping": {
      const address = checkAddress(command.address);
      if (!canArrange(state)) return [];
      const { shipmentId, orderId, outcome, at } = command;
      return outcome.status === "arranged"
        ? [{
          type: "ShippingArranged",
          data: {
            shipmentId,
            orderId,
            address,
            carrier: outcome.carrier,
            trackingNumber: outcome.trackingNumber,
            arrangedAt: at,
          },
        }]
        : [{
          type: "ShippingFailed",
          data: { shipmentId, orderId, reason: outcome.reason, failedAt: at },
        }];
    }
    case "CancelShipping": {
      if (state?.status === "cancelled") return [];
      return [{
        type: "ShippingCancelled",
        data: {
          shipmentId: command.shipmentId,
          orderId: command.orderId,
          wasArranged: state?.status === "arranged",
          cancelledAt: command.at,
        },
      }];
    }
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}
