import type { TxSql } from "@shared/db/connect.ts";
import type { Refusal } from "./errors.ts";

/** Metadata stored with every event: the audit trail of who caused it and why. */
export interface EventMetadata {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  userId?: string;
  tenantId?: string;
  /** W3C trace context of the request that caused the event. */
  traceparent?: string;
  [key: string]: unknown;
}

/** An event to append. */
export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  /** Version of the payload shape; defaults to the registered current version, else 1. */
  schemaVersion?: number;
  /** Unique id; generated when omitted. */
  eventId?: string;
}

/** What the stream's version must be for an append to go ahead. */
export type ExpectedVersion = number | "no_stream" | "any";

/**
 * SQL run in the same transaction as a command's append, right behind it:
 * e.g. an insert into a unique lookup table that enforces an invariant
 * across aggregates. It is sent without waiting for the append's answer (a
 * round trip saved), so it may run for an append whose concurrency check
 * then fails, or whose command id was handled before: the transaction then
 * rolls back with everything it did. It must therefore act only through
 * `tx`. If it throws, the command fails with that error and nothing of it
 * is written.
 *
 * A function may read answers and decide in code. {@link StatementEffects}
 * cannot, and so costs a round trip less.
 */
export type AppendEffects = ((tx: TxSql) => Promise<void>) | StatementEffects;

/**
 * Effects that are statements only: `send` starts each of them before it
 * returns, and each refuses by failing in the server (a check in SQL that
 * raises, see es_refuse), not in code that reads its answer. The append,
 * these statements and COMMIT then go out together, one round trip; a
 * refusal rolls it all back, and the command runs again the usual way,
 * where a statement's own error handler can name the refusal.
 */
export interface StatementEffects {
  readonly send: (tx: TxSql) => Promise<unknown>[];
}

/**
 * One effect statement as data: SQL numbering its own parameters from $1
 * (no other `$` in its text; a constant, as statements are prepared and kept
 * per text), its parameters, and what a refusal it raises (es_refuse) means
 * to the caller. An INSERT, UPDATE or DELETE runs for its writes; any other
 * statement (a SELECT) runs for its checks, which refuse by raising.
 */
export interface EffectStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The error for a refusal the statement raises; undefined leaves the refusal as it came. */
  readonly refused?: (refusal: Refusal) => Error | undefined;
}

/**
 * Statement effects given as data (see `sqlEffects`). Besides going out
 * with the append and COMMIT, those of a lone command on one stream are
 * folded into its append statement: one statement, its own transaction,
 * with nothing to begin or commit around it. Folded, the effects and the
 * append run in an order the server picks: an effect may take its locks
 * before the append takes its stream's, so one that locks rows another
 * command on the same stream also locks can deadlock with it across
 * processes (the command then runs again, as after any deadlock). When the
 * folded statement fails, nothing of it was written, and the command runs
 * again the transaction way, where each statement's `refused` names a
 * refusal.
 */
export interface SqlEffects extends StatementEffects {
  readonly statements: readonly EffectStatement[];
}

/** Options of an append. */
export interface AppendOptions {
  aggregateType: string;
  expectedVersion: ExpectedVersion;
  metadata?: EventMetadata;
  /** Makes the append idempotent: a repeated command id returns the first result. */
  commandId?: string;
  /** SQL committed atomically with the append; see {@link AppendEffects}. */
  effects?: AppendEffects;
}

/** One stream's part of a multi-stream command. */
export interface StreamWrite {
  streamId: string;
  aggregateType: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

/** Options of a multi-stream append. */
export interface AppendManyOptions {
  metadata?: EventMetadata;
  /** Makes the command idempotent: a repeated command id returns the first results. */
  commandId?: string;
  /** SQL committed atomically with the writes; see {@link AppendEffects}. */
  effects?: AppendEffects;
}

/** Where an event sits in the global order: its transaction id, then its id. */
export interface Position {
  /** The xid8 of the appending transaction, as a decimal string. */
  transactionId: string;
  /** The global id (BIGSERIAL), as a decimal string. */
  id: string;
}

/** The result of an append. */
export interface AppendResult {
  /** Stream version after the append. */
  nextVersion: number;
  /** Global position of each appended event, in order. */
  positions: Position[];
  /** True when the command id had been seen and nothing was appended. */
  duplicate: boolean;
}

/** The result of one stream of a multi-stream append. */
export interface StreamAppendResult extends AppendResult {
  streamId: string;
}

/** A command the store has handled: its result per stream and the metadata of its events. */
export interface HandledCommand {
  streams: StreamAppendResult[];
  metadata: EventMetadata;
}

/** An event as stored, after upcasting. */
export interface RecordedEvent<D = Record<string, unknown>> {
  position: Position;
  eventId: string;
  aggregateId: string;
  aggregateType: string;
  type: string;
  data: D;
  metadata: EventMetadata;
  /** Position in its stream, from 1. */
  version: number;
  schemaVersion: number;
  createdAt: Date;
}

/** Options of a stream read. */
export interface ReadStreamOptions {
  /** First version to read (inclusive); default the start, or the end when backward. */
  from?: number;
  direction?: "forward" | "backward";
  limit?: number;
}

/** Options of a paged read of the global order (by type, by time). */
export interface ReadPageOptions {
  /** Read events after this position; default the start. */
  after?: Position;
  /** At most this many events; default 1000. */
  limit?: number;
}

/** A page of the global order, as consumers follow it. */
export interface AllPage {
  /** The events after the position, gap-safely, in global order. */
  events: RecordedEvent[];
  /**
   * Whether, when the page was read, events after the position were
   * committed but not yet readable (a transaction older than theirs was
   * still running). Meaningful for a short page: a reader then reads again
   * shortly instead of waiting for the next wake-up, which has come and gone.
   */
  unsettled: boolean;
}

/** The start of the global stream. */
export const ORIGIN: Position = { transactionId: "0", id: "0" };
