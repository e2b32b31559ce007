import assert from "node:assert/strict";
import { NotFoundError, PreconditionError, ValidationError } from "@shared/errors/mod.ts";
import type { ProductState } from "../product/types.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import { inventoryDecider } from "./mod.ts";
import type {
  InventoryEvent,
  OrderReservation,
  ReleaseInventory,
  ReserveInventory,
} from "./types.ts";

const P = id(1);
const ORDER = id(100);
const T = later(5);
const product: ProductState = {
  id: P,
  name: "Runner",
  description: null,
  price: 1999,
  categoryId: id(50),
  deleted: false,
  archived: false,
  version: 1,
};
const stock = (quantity: number, previousQuantity = 0): InventoryEvent => ({
  type: "StockSet",
  data: { productId: P, quantity, previousQuantity, setAt: AT },
});
const reserved = (quantity: number, available: number, orderId = ORDER): InventoryEvent => ({
  type: "InventoryReserved",
  data: { productId: P, orderId, quantity, available, reservedAt: AT },
});
const reserve = (
  quantity: number,
  reservation?: OrderReservation,
  orderId = ORDER,
): ReserveInventory => ({
  type: "ReserveInventory",
  orderId,
  productId: P,
  quantity,
  reservation,
  at: T,
});
const release = (reservation?: OrderReservation): ReleaseInventory => ({
  type: "ReleaseInventory",
  orderId: ORDER,
  productId: P,
  reservation,
  at: T,
});
/** The order's record of its reservation, as the handler loads it. */
const held = (quantity: number): OrderReservation => ({ quantity, released: false });
const releasedOf = (quantity: number): OrderReservation => ({ quantity, released: true });
const given = spec(inventoryDecider);

Deno.test("decide() sets the stock of a live product", () => {
  const state = given.given([stock(3)]).when({
    type: "SetStock",
    productId: P,
    quantity: 10,
    product,
    at: T,
  }).then([{
    type: "StockSet",
    data: { productId: P, quantity: 10, previousQuantity: 3, setAt: T },
  }]);
  assert.equal(state?.available, 10);
});

Deno.test("decide() emits nothing when the stock is set to what it already is", () => {
  given.given([stock(3)]).when({ type: "SetStock", productId: P, quantity: 3, product, at: T })
    .thenNothing();
});

Deno.test("decide() refuses a negative or fractional stock", () => {
  for (const quantity of [-1, 1.5]) {
    given.when({ type: "SetStock", productId: P, quantity, product, at: T }).thenThrows(
      ValidationError,
      /quantity: must be a whole number from 0/,
      { field: "quantity" },
    );
  }
});

Deno.test("decide() refuses to set the stock of a product that does not exist or is deleted", () => {
  given.when({ type: "SetStock", productId: P, quantity: 1, at: T }).thenThrows(
    NotFoundError,
    /does not exist/,
    { field: "productId" },
  );
  given.when({
    type: "SetStock",
    productId: P,
    quantity: 1,
    product: { ...product, deleted: true },
    at: T,
  }).thenThrows(PreconditionError, /product "Runner": it is deleted/, { field: "productId" });
});

Deno.test("decide() reserves stock for an order", () => {
  const state = given.given([stock(5)]).when(reserve(3)).then([{
    type: "InventoryReserved",
    data: { productId: P, orderId: ORDER, quantity: 3, available: 2, reservedAt: T },
  }]);
  assert.equal(state?.available, 2);
});

Deno.test("decide() reserves the last unit (stock down to exactly 0)", () => {
  given.given([stock(1)]).when(reserve(1)).thenAssert((events, state) => {
    assert.equal(events[0]?.type, "InventoryReserved");
    assert.equal(state?.available, 0);
  });
});

Deno.test("decide() fails a reservation above the available stock, reserving nothing", () => {
  const state = given.given([stock(2)]).when(reserve(3)).then([{
    type: "InventoryReservationFailed",
    data: {
      productId: P,
      orderId: ORDER,
      requested: 3,
      available: 2,
      reason: "Insufficient stock: requested 3, available 2",
      failedAt: T,
    },
  }]);
  assert.equal(state?.available, 2);
});

Deno.test("decide() fails a reservation for a product whose stock was never set", () => {
  given.when(reserve(1)).thenAssert((events) =>
    assert.equal(events[0]?.type, "InventoryReservationFailed")
  );
});

Deno.test("decide() reserves once per order: a repeated reservation emits nothing", () => {
  given.given([stock(5), reserved(2, 3)]).when(reserve(2, held(2))).thenNothing();
});

Deno.test("decide() refuses a reservation quantity below 1", () => {
  given.given([stock(5)]).when(reserve(0)).thenThrows(ValidationError, /at least 1/, {
    field: "quantity",
  });
});

Deno.test("decide() releases an order's reservation back into the stock", () => {
  const state = given.given([stock(5), reserved(2, 3)]).when(release(held(2))).then([{
    type: "InventoryReleased",
    data: { productId: P, orderId: ORDER, quantity: 2, available: 5, releasedAt: T },
  }]);
  assert.equal(state?.available, 5);
});

Deno.test("decide() releases once: releasing twice emits once", () => {
  const first = given.given([stock(5), reserved(2, 3)]).when(release(held(2))).events;
  assert.equal(first.length, 1);
  given.given([stock(5), reserved(2, 3), ...first]).when(release(releasedOf(2))).thenNothing();
});

Deno.test("decide() closes an order that reserved nothing, so a late reservation fails", () => {
  const closed = given.given([stock(5)]).when(release()).events;
  assert.deepEqual(closed[0]?.data, {
    productId: P,
    orderId: ORDER,
    quantity: 0,
    available: 5,
    releasedAt: T,
  });
  given.given([stock(5), ...closed]).when(reserve(1, releasedOf(0))).thenAssert((events, state) => {
    assert.equal(events[0]?.type, "InventoryReservationFailed");
    assert.match(
      events[0]?.type === "InventoryReservationFailed" ? events[0].data.reason : "",
      /already released/,
    );
    assert.equal(state?.available, 5);
  });
});

Deno.test("decide() gives back only the releasing order's units, other orders' stay held", () => {
  const other = id(101);
  given.given([stock(5), reserved(2, 3), reserved(1, 2, other)]).when(release(held(2))).thenAssert(
    (events, state) => {
      assert.deepEqual(events.map((e) => e.type === "InventoryReleased" && e.data.quantity), [2]);
      assert.equal(state?.available, 4);
    },
  );
});

Deno.test("evolve() keeps a state of the same size however many orders reserved and released", () => {
  const orders = Array.from({ length: 1000 }, (_, i) => id(1000 + i));
  const history: InventoryEvent[] = [stock(5000)];
  orders.forEach((orderId, i) => history.push(reserved(2, 5000 - 2 * (i + 1), orderId)));
  given.given(history).when(reserve(1, undefined, id(5000))).thenAssert((_events, state) => {
    assert.deepEqual(state, { productId: P, available: 2999, version: 1002 });
  });
});
