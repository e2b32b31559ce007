import type { TxSql } from "@shared/db/connect.ts";
import type { Position, RecordedEvent } from "@shared/event_store/mod.ts";

/** A NOTIFY: its channel and its payload (under 8000 bytes). */
export interface Notice {
  channel: string;
  payload: string;
}

/** What a batch's transaction offers the handler besides its statements. */
export interface BatchScope {
  /**
   * Calls `fn` when the batch's transaction did not commit (the batch will
   * be handled again), so that the handler can put back what it took for it.
   */
  onRollback(fn: () => void): void;
}

/**
 * What a consumer does with the events it follows: a projection writing its
 * read model, or a reactor (the saga worker) deciding and recording. The
 * runtime calls {@link ConsumerHandler.apply} inside the transaction that
 * also advances the consumer's checkpoint, on the database of its writes, so
 * a batch's writes and its checkpoint commit together or not at all.
 */
export interface ConsumerHandler {
  /** Unique name: the key of its checkpoint, its lease and its dead letters. */
  readonly name: string;
  /**
   * Handles a batch of events in global order; the writes it makes through
   * `tx` commit with the checkpoint past the batch. With dead letters on, it
   * may also be called with one event at a time, in a savepoint.
   */
  apply(tx: TxSql, events: RecordedEvent[], scope: BatchScope): Promise<void>;
  /**
   * Whether the handler does anything with `event`. A batch of none such
   * commits no transaction of its own: the runtime moves on, and writes the
   * checkpoint past it with the next batch that has work, or within a
   * second (through `apply`, with the events skipped last), or at stop. A
   * restart reads the skipped events again, and skips them again. Without
   * it, every batch commits.
   */
  handles?(event: RecordedEvent): boolean;
  /**
   * Notifications to send in the batch's transaction once it is applied
   * (a change feed's), for only the events that were applied (not
   * dead-lettered). They go out with the checkpoint, unanswered, and those
   * of batches committed together in one statement.
   */
  notices?(position: Position, events: RecordedEvent[]): readonly Notice[];
  /** Called when this replica takes the lease, before the first batch, with the checkpoint. */
  onStart?(from: Position): Promise<void>;
  /** Called when this replica stops following (stopped, lease lost or handed over). */
  onClose?(): Promise<void>;
}
