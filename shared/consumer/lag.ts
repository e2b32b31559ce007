import type { Sql } from "@shared/db/connect.ts";
import type { Position } from "@shared/event_store/mod.ts";
import type { ProjectionLag } from "@shared/observability/mod.ts";

/** Lag counts stop here: past it, the number only says "far behind", and costs more. */
export const LAG_COUNT_CAP = 1_000_000;

/**
 * How far a position is behind the event store: the events committed after
 * it (counted up to {@link LAG_COUNT_CAP}), and the age of the first of them
 * (0 when there is none). Read from the `events` table of the event store,
 * whose global-order index answers both. The count names the index's leading
 * column and its order: without them the planner may count by a sequential
 * scan of the whole table (a generic plan does, and any plan of a table
 * without statistics), on every measurement.
 */
export async function measureLag(eventStore: Sql, position: Position): Promise<ProjectionLag> {
  const [row] = await eventStore<{ events: string; seconds: number | null }[]>`
    SELECT
      (SELECT count(*) FROM (SELECT 1 FROM events
        WHERE transaction_id >= ${position.transactionId}::xid8
          AND (transaction_id, id) > (${position.transactionId}::xid8, ${position.id}::bigint)
        ORDER BY transaction_id, id LIMIT ${LAG_COUNT_CAP}) AS later) AS events,
      (SELECT extract(epoch FROM clock_timestamp() - created_at)::float8 FROM events
        WHERE (transaction_id, id) > (${position.transactionId}::xid8, ${position.id}::bigint)
        ORDER BY transaction_id, id LIMIT 1) AS seconds`;
  return { events: Number(row?.events ?? 0), seconds: Math.max(0, row?.seconds ?? 0) };
}

/**
 * The last event of the global order that every reader can see (the origin
 * when there is none). The order names the table's columns: the bare names
 * would be the text columns of the answer, an order of strings ("9" after
 * "10") that no index serves.
 */
export async function headPosition(eventStore: Sql): Promise<Position> {
  const [row] = await eventStore<{ transaction_id: string; id: string }[]>`
    SELECT transaction_id::text, id::text FROM events
    WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY events.transaction_id DESC, events.id DESC LIMIT 1`;
  return row ? { transactionId: row.transaction_id, id: row.id } : { transactionId: "0", id: "0" };
}
