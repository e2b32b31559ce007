import type { Position } from "./types.ts";

/** The largest transaction id or event id: both are signed 64-bit integers in PostgreSQL. */
export const MAX_POSITION_PART = 2n ** 63n - 1n;

/** What a position text must look like, for error messages. */
export const POSITION_RULE =
  'must be a position "<transaction>:<id>" of two whole numbers up to 9223372036854775807';

function part(text: string): boolean {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_POSITION_PART;
}

/**
 * Parses a position as mutations and the audit trail print it,
 * `<transactionId>:<id>`, or null when it is not one, including when either
 * number does not fit the 64-bit integers the store keeps them in.
 */
export function parsePosition(text: string): Position | null {
  const [transactionId, id, extra] = text.split(":");
  if (extra !== undefined || transactionId === undefined || id === undefined) return null;
  return part(transactionId) && part(id) ? { transactionId, id } : null;
}
