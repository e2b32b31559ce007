/**
 * The Product aggregate: a named, priced item of a live category.
 * Stream id: the product id. Its events are at schema version 2
 * (see {@link productUpcasters}).
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  initialState,
  type ProductCommand,
  type ProductEvent,
  type ProductState,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";
export * from "./upcasters.ts";
export { checkPrice, isSignificantPriceChange } from "./_rules.ts";

/** The aggregate type recorded with product events. */
export const PRODUCT = "Product";

/** The product decider, for command handlers and specs. */
export const productDecider: Decider<ProductCommand, ProductEvent, ProductState | null> = {
  decide,
  evolve,
  initialState,
};
