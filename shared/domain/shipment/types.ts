import type { Address } from "../shared/address.ts";

export type { Address };

/** What the carrier answered (the carrier is a port; the handler calls it). */
export type ShippingOutcome =
  | { status: "arranged"; carrier: string; trackingNumber: string }
  | { status: "failed"; reason: string };

/**
 * Books the shipment of an order.
 *
 * The handler asks the carrier for the booking `bookingDue` names (none
 * once {@link canArrange} no longer holds), with the command id as the
 * idempotency key, and gives its answer as `outcome`.
 */
export type ArrangeShipping = {
  type: "ArrangeShipping";
  shipmentId: string;
  orderId: string;
  address: Address;
  outcome: ShippingOutcome;
  at: string;
};

/** Cancels an order's shipment; idempotent. */
export type CancelShipping = {
  type: "CancelShipping";
  shipmentId: string;
  orderId: string;
  at: string;
};

/** Shipment commands. Stream id: `shipmentIdFor(orderId)`. */
export type ShipmentCommand = ArrangeShipping | CancelShipping;

/** The carrier booked the shipment. */
export type ShippingArranged = {
  type: "ShippingArranged";
  data: {
    shipmentId: string;
    orderId: string;
    address: Address;
    carrier: string;
    trackingNumber: string;
    arrangedAt: string;
  };
};

/** The carrier could not book the shipment. */
export type ShippingFailed = {
  type: "ShippingFailed";
  data: { shipmentId: string; orderId: string; reason: string; failedAt: string };
};

/**
 * The shipment was cancelled. `wasArranged` false means nothing had been
 * booked: the cancellation still closes the shipment, so a late booking is not made.
 */
export type ShippingCancelled = {
  type: "ShippingCancelled";
  data: { shipmentId: string; orderId: string; wasArranged: boolean; cancelledAt: string };
};

/** Shipment events. */
export type ShipmentEvent = ShippingArranged | ShippingFailed | ShippingCancelled;

/** Where a shipment stands. */
export type ShipmentStatus = "arranged" | "failed" | "cancelled";

/** The shipment of one order. */
export interface ShipmentState {
  shipmentId: string;
  orderId: string;
  status: ShipmentStatus;
  trackingNumber: string | null;
  version: number;
}

/** The state before any event. */
export const initialState: ShipmentState | null = null;
