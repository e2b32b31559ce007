import { z } from "zod";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in canonical text form, lower-cased. */
export const uuid = z.string().regex(UUID, "must be a UUID").transform((s) => s.toLowerCase());

/**
 * An optional field as it arrives over the wire: proto3 and GraphQL send an
 * absent value as undefined, null or an empty string; all three mean "not given".
 */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" || v === null ? undefined : v), schema.optional());
}

/** A trimmed name of 1 to `max` characters. */
export function name(max: number) {
  return z.string({ error: "is required" }).trim().min(1, "must not be empty").max(
    max,
    `must be at most ${max} characters`,
  );
}

/** A free-text description of at most 2000 characters. */
export const description = z.string().trim().max(2000, "must be at most 2000 characters");
