import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import { canArrange, shipmentDecider, shipmentIdFor } from "./mod.ts";
import type { ArrangeShipping, CancelShipping, ShipmentEvent } from "./types.ts";

const ORDER = id(100);
const SHIP = shipmentIdFor(ORDER);
const T = later(5);
const address = { street: "1 Main St", city: "Springfield", postalCode: "12345" };
const given = spec(shipmentDecider);

const arrange = (fields: Partial<ArrangeShipping> = {}): ArrangeShipping => ({
  type: "ArrangeShipping",
  shipmentId: SHIP,
  orderId: ORDER,
  address,
  outcome: { status: "arranged", carrier: "Sim", trackingNumber: "TRK1" },
  at: T,
  ...fields,
});
const cancel: CancelShipping = { type: "CancelShipping", shipmentId: SHIP, orderId: ORDER, at: T };
const arranged: ShipmentEvent = {
  type: "ShippingArranged",
  data: {
    shipmentId: SHIP,
    orderId: ORDER,
    address,
    carrier: "Sim",
    trackingNumber: "TRK1",
    arrangedAt: AT,
  },
};

Deno.test("decide() records a booked shipment as ShippingArranged", () => {
  const state = given.when(arrange({ address: { ...address, city: " Springfield " } })).then([{
    type: "ShippingArranged",
    data: {
      shipmentId: SHIP,
      orderId: ORDER,
      address,
      carrier: "Sim",
      trackingNumber: "TRK1",
      arrangedAt: T,
    },
  }]);
  assert.equal(state?.status, "arranged");
});

Deno.test("decide() records a refused booking as ShippingFailed", () => {
  given.when(arrange({ outcome: { status: "failed", reason: "No carrier" } })).then([{
    type: "ShippingFailed",
    data: { shipmentId: SHIP, orderId: ORDER, reason: "No carrier", failedAt: T },
  }]);
});

Deno.test("decide() books once: a repeated ArrangeShipping emits nothing", () => {
  given.given([arranged]).when(arrange()).thenNothing();
});

Deno.test("decide() refuses an address with an empty part", () => {
  given.when(arrange({ address: { ...address, postalCode: " " } })).thenThrows(
    ValidationError,
    /address\.postalCode: must not be empty/,
    { field: "address.postalCode" },
  );
});

Deno.test("decide() cancels a booked shipment, once", () => {
  const first = given.given([arranged]).when(cancel).then([{
    type: "ShippingCancelled",
    data: { shipmentId: SHIP, orderId: ORDER, wasArranged: true, cancelledAt: T },
  }]);
  assert.equal(first?.status, "cancelled");
  given.given([arranged, ...given.given([arranged]).when(cancel).events]).when(cancel)
    .thenNothing();
});

Deno.test("decide() closes a shipment that was never booked, so a late booking is not made", () => {
  const closed = given.when(cancel).events;
  assert.deepEqual(closed[0]?.data, {
    shipmentId: SHIP,
    orderId: ORDER,
    wasArranged: false,
    cancelledAt: T,
  });
  given.given(closed).when(arrange()).thenAssert((events, state) => {
    assert.deepEqual(events, []);
    assert.equal(canArrange(state), false);
  });
});
