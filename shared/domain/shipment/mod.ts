/**
 * The Shipment aggregate: the booking of one order's delivery through the
 * carrier port, and its cancellation. Stream id: `shipmentIdFor(orderId)`.
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  initialState,
  type ShipmentCommand,
  type ShipmentEvent,
  type ShipmentState,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";
export { shipmentIdFor } from "../shared/ids.ts";

/** The aggregate type recorded with shipment events. */
export const SHIPMENT = "Shipment";

/** The shipment decider, for command handlers and specs. */
export const shipmentDecider: Decider<ShipmentCommand, ShipmentEvent, ShipmentState | null> = {
  decide,
  evolve,
  initialState,
};
