export * from "./types.ts";
export * from "./errors.ts";
export * from "./store.ts";
export * from "./upcast.ts";
export * from "./subscription.ts";
