import type { TxSql } from "@shared/db/connect.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import { LeaseLostError, SessionReplacedError } from "./lease.ts";

/**
 * SQLSTATE classes of errors that say nothing about the event: the
 * connection (08), a serialization failure or deadlock (40), resources (53),
 * the operator or a timeout (57), the system (58), internal errors (XX).
 */
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58", "XX"]);

/**
 * Whether an error is the environment's fault rather than the event's: the
 * batch is then retried as a whole, never dead-lettered. A handler's own
 * error, or PostgreSQL refusing what it wrote (bad input, a constraint), is
 * the event's.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof LeaseLostError || err instanceof SessionReplacedError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  // postgres.js's own errors: CONNECTION_CLOSED, CONNECTION_DESTROYED, CONNECT_TIMEOUT, ...
  if (/^[A-Z_]+$/.test(code) && code.includes("CONNECT")) return true;
  // The system's, from the socket: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ...
  if (/^E[A-Z]+$/.test(code)) return true;
  return code.length === 5 && TRANSIENT_CLASSES.has(code.slice(0, 2));
}

/** An event a consumer's handler threw on. */
export interface FailedEvent {
  event: RecordedEvent;
  error: unknown;
}

/**
 * Applies a batch event by event, each in a savepoint, in the caller's
 * transaction: an event whose handler throws is rolled back alone and
 * returned, the others stay applied. A transient error is thrown.
 */
export async function applyIsolated(
  tx: TxSql,
  handler: { apply(tx: TxSql, events: RecordedEvent[]): Promise<void> },
  events: readonly RecordedEvent[],
): Promise<FailedEvent[]> {
  const failed: FailedEvent[] = [];
  for (const event of events) {
    try {
      await tx.savepoint((sp) => handler.apply(sp, [event]));
    } catch (error) {
      if (isTransient(error)) throw error;
      failed.push({ event, error });
    }
  }
  return failed;
}

/** An error as the dead-letter table keeps it: its name and message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}
