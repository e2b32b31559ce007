export * from "./types.ts";
export * from "./decide.ts";
export * from "./evolve.ts";

/** The aggregate type recorded with category events. */
export const CATEGORY = "Category";
