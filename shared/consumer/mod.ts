/**
 * The one consumer runtime of the event store: it follows the global order
 * gap-safely from a checkpoint, wakes on NOTIFY and polls, commits each batch
 * with its checkpoint in the handler's transaction, holds a lease (with a
 * fence) so one replica at a time consumes, dead-letters poison events,
 * measures lag, and serves /health and /metrics. The projector's projections
 * and the saga worker are its handlers.
 */
export { type CheckpointTable, checkpointTable } from "./checkpoint.ts";
export { type Batch, BatchCommitter, sendNotices } from "./committer.ts";
export { type DeadLetter, listDeadLetters, recordDeadLetters } from "./dead_letters.ts";
export { type BatchOutcome, type Follower, followEvents, type FollowOptions } from "./follow.ts";
export { type HealthServer, type HealthServerOptions, serveHealth } from "./http.ts";
export { applyIsolated, describeError, type FailedEvent, isTransient } from "./isolate.ts";
export { headPosition, LAG_COUNT_CAP, measureLag } from "./lag.ts";
export {
  Lease,
  LeaseLostError,
  type LeaseSession,
  LeaseTimeoutError,
  type LockHolder,
  lockHolders,
  openLeaseSession,
} from "./lease.ts";
export {
  type ConsumerProcess,
  type ConsumerProcessOptions,
  runConsumerProcess,
} from "./process.ts";
export { SharedReader, type SharedReaderOptions } from "./reader.ts";
export type { BatchScope, ConsumerHandler, Notice } from "./types.ts";
export { startWakeup, type Wakeup, type WakeupOptions } from "./wakeup.ts";
export {
  type Consumer,
  type ConsumerOptions,
  type ConsumerState,
  startConsumer,
} from "./worker.ts";
