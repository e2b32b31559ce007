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

/**
 * Time kept between the end of a wait and the caller's deadline, so the
 * "not caught up" answer reaches the caller before its deadline does: a
 * deadline that passes looks like an outage to the caller's circuit breaker.
 */
const ANSWER_MARGIN_MS = 100;

/** The guard of a service: one shared waiter, one timeout, shortened to the caller's deadline. */
export function consistencyGuard(waiter: ConsistencyWaiter, timeoutMs: number): ConsistencyGuard {
  return async (context, projections) => {
    const token = context.metadata.consistencyToken;
    if (token === undefined && projections.length < 2) return;
    const left = context.deadline === undefined
      ? timeoutMs
      : Math.max(0, context.deadline - Date.now() - ANSWER_MARGIN_MS);
    const options = { timeoutMs: Math.min(timeoutMs, left), signal: context.signal };
    if (token !== undefined) {
      await waiter.wait(projections, parseConsistencyToken(token), options);
    }
    if (projections.length > 1) await waiter.align(projections, options);
  };
}
