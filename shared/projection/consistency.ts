import type { Sql } from "@shared/db/connect.ts";
import { UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import type { Position } from "@shared/event_store/mod.ts";

/** Parses a consistency token (`<transactionId>:<position>`, as mutations return it). */
export function parseConsistencyToken(token: string): Position {
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(token.trim());
  if (!match) {
    throw new ValidationError([{
      field: "X-Consistency-Token",
      message: `"${
        token.slice(0, 50)
      }" is not a consistency token: expected "<transaction>:<position>"`,
    }]);
  }
  return { transactionId: match[1]!, id: match[2]! };
}

/** Whether `a` is at or past `b` in the global order. */
export function reached(a: Position, b: Position): boolean {
  const ax = BigInt(a.transactionId), bx = BigInt(b.transactionId);
  return ax > bx || (ax === bx && BigInt(a.id) >= BigInt(b.id));
}

/**
 * Waits until every named projection's checkpoint has reached `target`
 * (read-your-writes), polling with a short back-off. Past `timeoutMs` it
 * raises UNAVAILABLE, naming the projections that are behind.
 */
export async function waitForProjections(
  sql: Sql,
  projections: readonly string[],
  target: Position,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const until = Date.now() + options.timeoutMs;
  let delay = 2;
  for (;;) {
    const rows = await sql<{ projection: string; transaction_id: string; position: string }[]>`
      SELECT projection, transaction_id::text, position::text FROM projection_checkpoints
      WHERE projection = ANY(${projections as string[]})`;
    const at = new Map(
      rows.map((r) => [r.projection, { transactionId: r.transaction_id, id: r.position }]),
    );
    const behind = projections.filter((p) => {
      const position = at.get(p);
      return !position || !reached(position, target);
    });
    if (behind.length === 0) return;
    if (Date.now() + delay > until || options.signal?.aborted) {
      throw new UnavailableError(
        `The read model has not caught up with the requested position within ${options.timeoutMs} ms: ${
          behind.join(", ")
        } behind`,
        { projections: behind },
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 25);
  }
}
