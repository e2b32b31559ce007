import type { TxSql } from "@shared/db/connect.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";

/**
 * A read model fed by events. `apply` runs inside the read-database
 * transaction that also advances the projection's checkpoint, so a batch is
 * applied exactly once or not at all.
 */
export interface Projection {
  /** Unique name; the key of its checkpoint. */
  name: string;
  /** Applies a batch of events in global order. Unknown event types are skipped. */
  apply(tx: TxSql, events: RecordedEvent[]): Promise<void>;
}
