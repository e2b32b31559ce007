import { ConflictError, ValidationError } from "@shared/errors/mod.ts";
import { isPgError } from "@shared/db/errors.ts";
import type { ExpectedVersion } from "./types.ts";

/** An append whose expected version did not match the stream. */
export class ConcurrencyError extends ConflictError {
  override readonly name: string = "ConcurrencyError";
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  /** The stream's version at the time of the append; 0 when it does not exist. */
  readonly actual: number;

  constructor(streamId: string, expected: ExpectedVersion, actual: number) {
    super(
      `Concurrent modification of stream "${streamId}": expected version ${
        String(expected)
      }, found ${actual}`,
      { streamId, expectedVersion: expected, actualVersion: actual },
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** An event whose payload exceeds the configured size limit. */
export class EventTooLargeError extends ValidationError {
  constructor(type: string, bytes: number, limit: number) {
    super([{
      field: "event_data",
      message: `event "${type}" is ${bytes} bytes, over the limit of ${limit}`,
    }]);
  }
}

/** A stored event whose type or schema version no upcaster knows. */
export class UnknownEventError extends Error {
  override readonly name: string = "UnknownEventError";
}

/** An append on an event store that was closed. */
export class EventStoreClosedError extends Error {
  override readonly name: string = "EventStoreClosedError";
}

/** What a check written in SQL refused with (es_refuse, migration 002). */
export interface Refusal {
  /** What was refused, as the check says it: "missing", "deleted", … */
  reason: string;
  /** What it was about (a name), or empty. */
  subject: string;
}

/** The refusal an error carries when a check written in SQL raised it; else undefined. */
export function refusalOf(err: unknown): Refusal | undefined {
  if (!isPgError(err) || err.code !== "RF001") return undefined;
  return { reason: (err as unknown as Error).message, subject: err.detail ?? "" };
}
