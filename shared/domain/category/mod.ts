/**
 * The Category aggregate: a tree of at most {@link MAX_DEPTH} levels whose
 * sibling names are unique. Stream id: the category id.
 */
import type { Decider } from "../shared/decider.ts";
import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import {
  type CategoryCommand,
  type CategoryEvent,
  type CategoryState,
  initialState,
} from "./types.ts";

export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";

/** The aggregate type recorded with category events. */
export const CATEGORY = "Category";

/** The category decider, for command handlers and specs. */
export const categoryDecider: Decider<CategoryCommand, CategoryEvent, CategoryState | null> = {
  decide,
  evolve,
  initialState,
};
