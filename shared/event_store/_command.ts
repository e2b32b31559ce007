import { type FieldIssue, ValidationError } from "@shared/errors/mod.ts";
import { EventTooLargeError } from "./errors.ts";
import type {
  AppendEffects,
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  StreamWrite,
} from "./types.ts";
import type { Upcasters } from "./upcast.ts";

/** An event ready for the batch statement: payload already serialised. */
export interface PreparedEvent {
  eventId: string;
  type: string;
  data: string;
  schemaVersion: number;
}

/** One stream's part of a prepared command. */
export interface PreparedWrite {
  streamId: string;
  aggregateType: string;
  /** -1 any, 0 no stream, n exact. */
  expected: number;
  /** As the caller gave it, for the concurrency error. */
  expectedVersion: ExpectedVersion;
  events: PreparedEvent[];
}

/** A validated command, as the group committer queues it. */
export interface PreparedCommand {
  writes: PreparedWrite[];
  commandId: string | null;
  metadata: string;
  effects: AppendEffects | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_INT = 2147483647;

/** Limits and defaults that shape a prepared command. */
export interface PrepareContext {
  maxEventBytes: number;
  upcasters: Upcasters;
}

/**
 * Validates and serialises a command. Every problem is reported at once, and
 * nothing reaches the database when there is one.
 */
export function prepareCommand(
  writes: StreamWrite[],
  options: { commandId?: string | undefined; metadata?: EventMetadata | undefined },
  effects: AppendEffects | undefined,
  context: PrepareContext,
): PreparedCommand {
  const issues: FieldIssue[] = [];
  const check = (ok: boolean, field: string, message: string) => {
    if (!ok) issues.push({ field, message });
  };
  const { commandId } = options;
  if (commandId !== undefined) {
    check(UUID.test(commandId), "commandId", `"${commandId}" is not a UUID`);
  }
  const seen = new Set<string>();
  const prepared = writes.map((write, w): PreparedWrite => {
    const at = writes.length > 1 ? `writes[${w}].` : "";
    check(UUID.test(write.streamId), `${at}streamId`, `"${write.streamId}" is not a UUID`);
    const key = String(write.streamId).toLowerCase();
    check(!seen.has(key), `${at}streamId`, `"${write.streamId}" appears twice`);
    seen.add(key);
    check(
      typeof write.aggregateType === "string" && write.aggregateType.length > 0 &&
        write.aggregateType.length <= 255,
      `${at}aggregateType`,
      "must be 1 to 255 characters",
    );
    const expected = encodeExpected(write.expectedVersion);
    check(
      expected !== undefined,
      `${at}expectedVersion`,
      `"${String(write.expectedVersion)}" is not a version, "no_stream" or "any"`,
    );
    const events = write.events.map((e, i) => prepareEvent(e, `${at}events[${i}]`, context, check));
    return {
      // PostgreSQL returns UUIDs in lower case: results are matched on that form.
      streamId: String(write.streamId).toLowerCase(),
      aggregateType: write.aggregateType,
      expected: expected ?? 0,
      expectedVersion: write.expectedVersion,
      events,
    };
  });
  if (issues.length > 0) throw new ValidationError(issues);
  const metadata = JSON.stringify(
    commandId ? { ...options.metadata, commandId } : options.metadata ?? {},
  );
  return { writes: prepared, commandId: commandId?.toLowerCase() ?? null, metadata, effects };
}

function encodeExpected(expected: ExpectedVersion): number | undefined {
  if (expected === "any") return -1;
  if (expected === "no_stream") return 0;
  if (Number.isInteger(expected) && expected >= 0 && expected <= MAX_INT) return expected;
  return undefined;
}

function prepareEvent(
  event: NewEvent,
  field: string,
  context: PrepareContext,
  check: (ok: boolean, field: string, message: string) => void,
): PreparedEvent {
  const typeOk = typeof event.type === "string" && event.type.length > 0 &&
    event.type.length <= 255;
  check(typeOk, `${field}.type`, "must be 1 to 255 characters");
  const isObject = typeof event.data === "object" && event.data !== null &&
    !Array.isArray(event.data);
  check(isObject, `${field}.data`, "must be an object");
  if (event.eventId !== undefined) {
    check(UUID.test(event.eventId), `${field}.eventId`, `"${event.eventId}" is not a UUID`);
  }
  const registered = Object.hasOwn(context.upcasters, event.type)
    ? context.upcasters[event.type]?.current
    : undefined;
  const schemaVersion = event.schemaVersion ?? registered ?? 1;
  check(
    Number.isInteger(schemaVersion) && schemaVersion >= 1 && schemaVersion <= MAX_INT,
    `${field}.schemaVersion`,
    `"${schemaVersion}" is not a positive integer`,
  );
  const data = isObject ? JSON.stringify(event.data) : "{}";
  // A UTF-16 unit never takes more than 3 bytes in UTF-8: most payloads skip the count.
  if (data.length * 3 > context.maxEventBytes) {
    const bytes = new TextEncoder().encode(data).length;
    if (bytes > context.maxEventBytes) {
      throw new EventTooLargeError(event.type, bytes, context.maxEventBytes);
    }
  }
  return { eventId: event.eventId ?? uuidv7(), type: event.type, data, schemaVersion };
}

/**
 * A time-ordered UUID (version 7): new event ids land at the right edge of
 * the `event_id` index instead of on random pages, which keeps inserts cheap
 * as the table grows.
 */
export function uuidv7(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
