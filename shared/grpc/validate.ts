import type { z } from "zod";
import { type FieldIssue, ValidationError } from "@shared/errors/mod.ts";

/** Parses a value with a zod schema; failures become a ValidationError naming each field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = "",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || prefix || "input",
    message: issue.message,
  })));
}

/** A request whose bytes the server refused before decoding (see `checkWire`). */
export class RefusedRequest {
  constructor(readonly issue: FieldIssue) {}
}

/**
 * Checks a request as the server received it against its RPC's input schema:
 * one refused on the wire, or one the schema refuses, is a ValidationError
 * naming the field; otherwise the parsed input.
 */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.output<S> {
  if (request instanceof RefusedRequest) throw new ValidationError([request.issue]);
  return parseWith(schema, request);
}
