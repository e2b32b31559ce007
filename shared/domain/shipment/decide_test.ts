import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import { bookingDue, canArrange, cancellationDue, shipmentDecider, shipmentIdFor } from "./mod.ts";
import { fold } from "../shared/decider.ts";
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

Deno.test("bookingDue() names the checked address to book, only while nothing was booked", () => {
  assert.deepEqual(bookingDue({ address }, null), { address });
  assert.equal(bookingDue({ address }, fold(shipmentDecider, [arranged])), null);
  assert.equal(bookingDue({ address }, fold(shipmentDecider, given.when(cancel).events)), null);
  assert.throws(() => bookingDue({ address: { ...address, city: "" } }, null), ValidationError);
});

Deno.test("cancellationDue() names a booked delivery's tracking number, and nothing once cancelled", () => {
  const booked = fold(shipmentDecider, [arranged]);
  assert.deepEqual(cancellationDue(booked), { trackingNumber: booked?.trackingNumber });
  assert.notEqual(booked?.trackingNumber, null);
  assert.equal(cancellationDue(null), null);
  const cancelled = fold(shipmentDecider, given.given([arranged]).when(cancel).events, {
    from: booked,
  });
  assert.equal(cancellationDue(cancelled), null);
});
