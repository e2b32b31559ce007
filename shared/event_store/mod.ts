/**
 * The event store: appends with optimistic concurrency, idempotency and group
 * commit; gap-safe reads of the global order (followed by the consumer
 * runtime, shared/consumer); snapshots and upcasting.
 */
export * from "./types.ts";
export * from "./position.ts";
export * from "./errors.ts";
export * from "./store.ts";
export * from "./upcast.ts";
export * from "./snapshot.ts";
export { isSqlEffects, sendEffect, sqlEffects } from "./effects.ts";
