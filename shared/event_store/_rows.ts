import type { RecordedEvent } from "./types.ts";
import { upcast, type Upcasters, type UpcastOptions } from "./upcast.ts";

/** An `events` row as the read queries select it. */
export interface EventRow {
  id: string;
  transaction_id: string;
  event_id: string;
  aggregate_id: string;
  aggregate_type: string;
  event_type: string;
  event_data: Record<string, unknown>;
  event_metadata: Record<string, unknown>;
  event_version: number;
  schema_version: number;
  created_at: Date;
}

/**
 * The select list matching {@link EventRow}. Its ids are cast to text under
 * their own names, so an ORDER BY must name `events.transaction_id` and
 * `events.id`: a bare name would sort the text.
 */
export const EVENT_COLUMNS =
  "id::text, transaction_id::text, event_id, aggregate_id, aggregate_type, event_type, " +
  "event_data, event_metadata, event_version, schema_version, created_at";

/**
 * Only events of transactions older than every transaction still running:
 * an event that commits late is then never skipped by a reader that has
 * moved past its id.
 */
export const SETTLED = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())";

/** The negation of {@link SETTLED}, for the columns of `row`. */
export function unsettled(row: string): string {
  return `NOT (${row}.${SETTLED})`;
}

/** Turns a row into a recorded event, lifting its payload to the current shape. */
export function toRecorded(
  row: EventRow,
  upcasters: Upcasters,
  options: UpcastOptions,
): RecordedEvent {
  const lifted = upcast(upcasters, {
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.event_data,
  }, options);
  return {
    position: { transactionId: row.transaction_id, id: row.id },
    eventId: row.event_id,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    type: lifted.type,
    data: lifted.data,
    metadata: row.event_metadata,
    version: row.event_version,
    schemaVersion: lifted.schemaVersion,
    createdAt: row.created_at,
  };
}
