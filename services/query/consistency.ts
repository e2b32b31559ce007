import type { CallContext } from "@shared/grpc/contract.ts";
import { type ConsistencyWaiter, parseConsistencyToken } from "@shared/projection/consistency.ts";

/**
 * Read-your-writes for one RPC: when the call carries a consistency token,
 * resolves once the projections it reads have reached that position; a
 * malformed token is a VALIDATION error naming X-Consistency-Token, and a
 * read model that does not catch up within the timeout an UNAVAILABLE one.
 * An RPC that reads several projections also waits until each has reached
 * the newest checkpoint among them, so that no part of its answer is older
 * than another part was when the call arrived.
 */
export type ConsistencyGuard = (
  context: CallContext,
  projections: readonly string[],
) => Promise<void>;

/** The guard of a service: one shared waiter, one timeout. */
export function consistencyGuard(waiter: ConsistencyWaiter, timeoutMs: number): ConsistencyGuard {
  return async (context, projections) => {
    const options = { timeoutMs, signal: context.signal };
    const token = context.metadata.consistencyToken;
    if (token !== undefined) {
      await waiter.wait(projections, parseConsistencyToken(token), options);
    }
    if (projections.length > 1) await waiter.align(projections, options);
  };
}
