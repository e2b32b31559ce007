/**
 * The Order aggregate: lines priced from the products at the time of
 * ordering, the totals of DOMAIN.md, and the allowed status transitions.
 * Stream id: the order id.
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import { initialState, type OrderCommand, type OrderEvent, type OrderState } from "./types.ts";

export * from "./types.ts";
export * from "./status.ts";
export * from "./totals.ts";
export * from "./decide.ts";
export * from "./evolve.ts";

/** The aggregate type recorded with order events. */
export const ORDER = "Order";

/** The order decider, for command handlers and specs. */
export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState | null> = {
  decide,
  evolve,
  initialState,
};
