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

/** Options of an append. */
export interface AppendOptions {
  aggregateType: string;
  expectedVersion: ExpectedVersion;
  metadata?: EventMetadata;
  /** Makes the append idempotent: a repeated command id returns the first result. */
  commandId?: string;
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

/** The start of the global stream. */
export const ORIGIN: Position = { transactionId: "0", id: "0" };
