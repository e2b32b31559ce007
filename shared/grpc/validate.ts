import type { z } from "zod";
import { ValidationError } from "@shared/errors/mod.ts";

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
