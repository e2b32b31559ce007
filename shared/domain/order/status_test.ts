import assert from "node:assert/strict";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { later } from "@shared/testing/fixtures/shared.ts";
import { ORDER_ID, orderAt } from "@shared/testing/fixtures/order.ts";
import { ORDER_STATUSES, ORDER_TRANSITIONS, orderDecider, type OrderStatus } from "./mod.ts";

const given = spec(orderDecider);
const T = later(60);

const update = (status: OrderStatus) => ({
  type: "UpdateOrderStatus" as const,
  id: ORDER_ID,
  status,
  reason: "Ops",
  at: T,
});

for (const from of ORDER_STATUSES) {
  for (const to of ORDER_TRANSITIONS[from]) {
    Deno.test(`decide() moves an order from ${from} to ${to}`, () => {
      const state = given.given(orderAt(from)).when(update(to)).then([
        to === "cancelled"
          ? {
            type: "OrderCancelled",
            data: { id: ORDER_ID, from, reason: "Ops", cancelledAt: T },
          }
          : {
            type: "OrderStatusChanged",
            data: { id: ORDER_ID, from, to, reason: "Ops", changedAt: T },
          },
      ]);
      assert.equal(state?.status, to);
    });
  }
  // One refused transition per status: the first status it may not move to.
  const refused = ORDER_STATUSES.find((to) => !ORDER_TRANSITIONS[from].includes(to))!;
  Deno.test(`decide() refuses to move an order from ${from} to ${refused}`, () => {
    given.given(orderAt(from)).when(update(refused)).thenThrows(
      PreconditionError,
      refused === "cancelled"
        ? /Cannot cancel order/
        : new RegExp(`from "${from}" to "${refused}": not an allowed transition`),
    );
  });
}

Deno.test("decide() refuses the transitions missing from the table, for every pair", () => {
  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      if (ORDER_TRANSITIONS[from].includes(to)) continue;
      given.given(orderAt(from)).when(update(to)).thenThrows(PreconditionError);
    }
  }
});

const cancel = { type: "CancelOrder" as const, id: ORDER_ID, reason: " Changed my mind ", at: T };

Deno.test("decide() cancels a pending order with its reason", () => {
  const state = given.given(orderAt("pending")).when(cancel).then([{
    type: "OrderCancelled",
    data: { id: ORDER_ID, from: "pending", reason: "Changed my mind", cancelledAt: T },
  }]);
  assert.equal(state?.cancelReason, "Changed my mind");
});

Deno.test("decide() cancels a confirmed order (its saga compensates)", () => {
  given.given(orderAt("confirmed")).when(cancel).thenAssert((events) =>
    assert.equal(events[0]?.type, "OrderCancelled")
  );
});

Deno.test("decide() refuses to cancel a completed order", () => {
  given.given(orderAt("completed")).when(cancel).thenThrows(
    PreconditionError,
    /Cannot cancel order ".+": it is completed/,
    { field: "id" },
  );
});

Deno.test("decide() refuses to cancel an order that is already cancelled", () => {
  given.given(orderAt("cancelled")).when(cancel).thenThrows(
    PreconditionError,
    /it is already cancelled/,
    { field: "id" },
  );
});

Deno.test("decide() refuses to cancel a shipped order", () => {
  given.given(orderAt("shipped")).when(cancel).thenThrows(
    PreconditionError,
    /an order that is "shipped" cannot be cancelled/,
  );
});

Deno.test("decide() refuses a command on an order that does not exist", () => {
  given.when(cancel).thenThrows(NotFoundError, /does not exist/, { field: "id" });
  given.when(update("confirmed")).thenThrows(NotFoundError, /does not exist/, { field: "id" });
});
