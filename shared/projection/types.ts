import type { TxSql } from "@shared/db/connect.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";

/**
 * A read model fed by events. `apply` runs inside the read-database
 * transaction that also advances the projection's checkpoint, so a batch is
 * applied exactly once or not at all.
 */
export interface Projection {
  /** Unique name; the key of its checkpoint, its lease and its dead letters. */
  name: string;
  /**
   * The tables it owns alone, by unqualified name. `apply` must write no
   * other table and must name them unqualified: a rebuild runs it with the
   * search path pointing at fresh copies of exactly these tables, then swaps
   * them in.
   */
  tables: readonly string[];
  /**
   * The event types it applies, when it knows them: a rebuild then reads
   * only these from the store. The live projection reads every event, so
   * that its checkpoint follows the head.
   */
  eventTypes?: readonly string[];
  /** Applies a batch of events in global order. Unknown event types are skipped. */
  apply(tx: TxSql, events: RecordedEvent[]): Promise<void>;
}
