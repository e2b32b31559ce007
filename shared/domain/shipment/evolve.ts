import type { ShipmentEvent, ShipmentState } from "./types.ts";

/** Applies one event to an order's shipment. */
export function evolve(state: ShipmentState | null, event: ShipmentEvent): ShipmentState | null {
  const base: ShipmentState = state ?? {
    shipmentId: event.data.shipmentId,
    orderId: event.data.orderId,
    status: "failed",
    trackingNumber: null,
    version: 0,
  };
  const version = base.version + 1;
  switch (event.type) {
    case "ShippingArranged":
      return { ...base, status: "arranged", trackingNumber: event.data.trackingNumber, version };
    case "ShippingFailed":
      return { ...base, status: "failed", version };
    case "ShippingCancelled":
      return { ...base, status: "cancelled", version };
    default: {
      const _unknown: never = event;
      return state;
    }
  }
}
