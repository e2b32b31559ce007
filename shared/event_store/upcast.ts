import { UnknownEventError } from "./errors.ts";

/** Lifts an event payload from one schema version to the next. */
export type UpcastStep = (data: Record<string, unknown>) => Record<string, unknown>;

/** The upcaster chain of one event type. */
export interface EventSchema {
  /** The version deciders and projections see. */
  current: number;
  /** `steps[n]` lifts version n to n + 1. */
  steps?: Record<number, UpcastStep>;
}

/** Upcaster chains by event type. Types not listed pass through unchanged. */
export type Upcasters = Record<string, EventSchema>;

/** A stored payload with its type and version. */
export interface VersionedPayload {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

/**
 * Lifts a stored payload to the current version of its type. An event whose
 * version has no path to the current one raises {@link UnknownEventError}:
 * it is never silently dropped.
 */
export function upcast(upcasters: Upcasters, event: VersionedPayload): VersionedPayload {
  const schema = upcasters[event.type];
  if (!schema) return event;
  let { data, schemaVersion } = event;
  if (schemaVersion > schema.current) {
    throw new UnknownEventError(
      `Cannot read event "${event.type}" v${schemaVersion}: the newest known version is v${schema.current}`,
    );
  }
  while (schemaVersion < schema.current) {
    const step = schema.steps?.[schemaVersion];
    if (!step) {
      throw new UnknownEventError(
        `Cannot read event "${event.type}" v${schemaVersion}: no upcaster to v${schemaVersion + 1}`,
      );
    }
    data = step(data);
    schemaVersion++;
  }
  return { type: event.type, schemaVersion, data };
}
