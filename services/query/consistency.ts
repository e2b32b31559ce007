import type { CallContext } from "@shared/grpc/contract.ts";
import { type ConsistencyWaiter, parseConsistencyToken } from "@shared/projection/consistency.ts";

/**
 * Read-your-writes for one RPC: when the call carries a consistency token,
 * resolves once the projections it reads have reached that position; a
 * malformed token is a VALIDATION error naming X-Consistency-Token, and a
 * read model that does not catch up within the timeout an UNAVAILABLE one.
 */
export type ConsistencyGuard = (
  context: CallContext,
  projections: readonly string[],
) => Promise<void>;

/** The guard of a service: one shared waiter, one timeout. */
export function consistencyGuard(waiter: ConsistencyWaiter, timeoutMs: number): ConsistencyGuard {
  return async (context, projections) => {
    const token = context.metadata.consistencyToken;
    if (token === undefined) return;
    const target = parseConsistencyToken(token);
    await waiter.wait(projections, target, { timeoutMs, signal: context.signal });
  };
}
