import { UnknownEventError } from "./errors.ts";

/** Lifts an event payload from one schema version to the next. */
export type UpcastStep = (data: Record<string, unknown>) => Record<string, unknown>;

/** The upcaster chain of one event type. */
export interface EventSchema {
  /** The version deciders and projections see. */
  current: number;
  /** `steps[n]` lifts version n to n + 1. */
  steps?: Record<number, UpcastStep>;
  /**
   * The type this one was renamed to: once lifted to `current`, the payload
   * is read as that type at that schema version, and lifted further by its
   * chain.
   */
  renamedTo?: { type: string; schemaVersion: number };
}

/** Upcaster chains by event type. */
export type Upcasters = Record<string, EventSchema>;

/** How {@link upcast} treats a type with no chain. */
export interface UpcastOptions {
  /** Refuse types that no chain lists, instead of passing them through; default false. */
  rejectUnknownTypes?: boolean;
}

/** A stored payload with its type and version. */
export interface VersionedPayload {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

/**
 * Lifts a stored payload to the current version of its type, following
 * renames. A version with no path to the current one (or, when asked, a type
 * no chain lists) raises {@link UnknownEventError}: an event is never
 * silently dropped.
 */
export function upcast(
  upcasters: Upcasters,
  event: VersionedPayload,
  options: UpcastOptions = {},
): VersionedPayload {
  let { type, data, schemaVersion } = event;
  const visited = new Set<string>();
  for (;;) {
    const schema = Object.hasOwn(upcasters, type) ? upcasters[type] : undefined;
    if (!schema) {
      if (options.rejectUnknownTypes) {
        throw new UnknownEventError(`Cannot read event "${type}": no upcaster knows this type`);
      }
      return { type, schemaVersion, data };
    }
    if (schemaVersion > schema.current) {
      throw new UnknownEventError(
        `Cannot read event "${type}" v${schemaVersion}: the newest known version is v${schema.current}`,
      );
    }
    while (schemaVersion < schema.current) {
      const step = schema.steps?.[schemaVersion];
      if (!step) {
        throw new UnknownEventError(
          `Cannot read event "${type}" v${schemaVersion}: no upcaster to v${schemaVersion + 1}`,
        );
      }
      data = step(data);
      schemaVersion++;
    }
    if (!schema.renamedTo) return { type, schemaVersion, data };
    visited.add(type);
    if (visited.has(schema.renamedTo.type)) {
      throw new UnknownEventError(`Cannot read event "${type}": its renames form a cycle`);
    }
    ({ type, schemaVersion } = schema.renamedTo);
  }
}
