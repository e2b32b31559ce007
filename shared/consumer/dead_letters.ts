import type { Sql, TxSql } from "@shared/db/connect.ts";
import type { Position } from "@shared/event_store/mod.ts";
import { describeError, type FailedEvent } from "./isolate.ts";

/** An event waiting in the dead-letter table. */
export interface DeadLetter {
  projection: string;
  position: Position;
  eventId: string;
  eventType: string;
  aggregateId: string;
  /** The error of the last attempt. */
  error: string;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/**
 * Records events a consumer's handler threw on, in the transaction that
 * moves the consumer past them. The table, `projection_dead_letters`, is in
 * the read model: the consumers with dead letters are the projections (the
 * saga worker retries instead). An event recorded before counts one more
 * attempt.
 */
export async function recordDeadLetters(
  tx: TxSql,
  projection: string,
  failed: readonly FailedEvent[],
): Promise<void> {
  if (failed.length === 0) return;
  const rows = failed.map(({ event, error }) => ({
    transaction_id: event.position.transactionId,
    position: event.position.id,
    event_id: event.eventId,
    event_type: event.type,
    aggregate_id: event.aggregateId,
    error: describeError(error),
  }));
  await tx`
    INSERT INTO projection_dead_letters AS d (projection, transaction_id, position, event_id,
      event_type, aggregate_id, error)
    SELECT ${projection}, x.transaction_id::xid8, x.position, x.event_id, x.event_type,
      x.aggregate_id, x.error
    FROM jsonb_to_recordset(${tx.json(rows as never)}) AS x(transaction_id text, position bigint,
      event_id uuid, event_type text, aggregate_id uuid, error text)
    ON CONFLICT (projection, transaction_id, position) DO UPDATE
      SET error = EXCLUDED.error, attempts = d.attempts + 1, last_failed_at = now()`;
}

interface DeadLetterRow {
  projection: string;
  transaction_id: string;
  position: string;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  error: string;
  attempts: number;
  first_failed_at: Date;
  last_failed_at: Date;
}

/** The dead letters of a projection (of every projection when none is named), in global order. */
export async function listDeadLetters(sql: Sql, projection?: string): Promise<DeadLetter[]> {
  const rows = await sql<DeadLetterRow[]>`
    SELECT projection, transaction_id::text, position::text, event_id, event_type, aggregate_id,
      error, attempts, first_failed_at, last_failed_at
    FROM projection_dead_letters
    WHERE ${projection === undefined ? sql`TRUE` : sql`projection = ${projection}`}
    ORDER BY projection, transaction_id, position`;
  return rows.map((r) => ({
    projection: r.projection,
    position: { transactionId: r.transaction_id, id: r.position },
    eventId: r.event_id,
    eventType: r.event_type,
    aggregateId: r.aggregate_id,
    error: r.error,
    attempts: r.attempts,
    firstFailedAt: r.first_failed_at,
    lastFailedAt: r.last_failed_at,
  }));
}

/** How many dead letters each projection has (projections without any are absent). */
export async function countDeadLetters(sql: Sql | TxSql): Promise<Map<string, number>> {
  const rows = await sql<{ projection: string; n: number }[]>`
    SELECT projection, count(*)::int AS n FROM projection_dead_letters GROUP BY projection`;
  return new Map(rows.map((r) => [r.projection, r.n]));
}
