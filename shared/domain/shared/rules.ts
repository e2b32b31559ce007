import { ValidationError } from "@shared/errors/mod.ts";
import { textLength, textPrefix, textProblem } from "./text.ts";

/** Longest description accepted, as `fields.description` also checks at the edge. */
export const MAX_DESCRIPTION = 2000;

/** Longest reason (cancellation, deletion, price change) accepted, as `fields.reason` checks. */
export const MAX_REASON = 500;

/** A one-field ValidationError: `field: message`. */
export function invalid(field: string, message: string): ValidationError {
  return new ValidationError([{ field, message }]);
}

/** Quotes a value for an error message, shortening long ones without splitting a character. */
export function quote(value: unknown): string {
  const text = String(value).toWellFormed();
  return `"${textLength(text) > 40 ? `${textPrefix(text, 37)}...` : text}"`;
}

/**
 * The trimmed name, or a ValidationError naming the field when it is empty,
 * longer than `max` characters (code points) after trimming, or holds text
 * that would not be stored unchanged (see `textProblem`).
 */
export function checkName(value: string, options: { field?: string; max: number }): string {
  const field = options.field ?? "name";
  const name = value.trim();
  if (name.length === 0) throw invalid(field, "must not be empty");
  const problem = textProblem(name);
  if (problem) throw invalid(field, problem);
  const length = textLength(name);
  if (length > options.max) {
    throw invalid(
      field,
      `must be at most ${options.max} characters, got ${length} in ${quote(name)}`,
    );
  }
  return name;
}

/** A free text (reason, note) of at most `max` characters, trimmed; a ValidationError when not. */
export function checkText(value: string, options: { field: string; max: number }): string {
  const text = value.trim();
  const problem = textProblem(text, { multiline: true });
  if (problem) throw invalid(options.field, problem);
  const length = textLength(text);
  if (length > options.max) {
    throw invalid(options.field, `must be at most ${options.max} characters, got ${length}`);
  }
  return text;
}

/** A trimmed description, null when empty; a ValidationError when too long. */
export function checkDescription(
  value: string | null | undefined,
  field = "description",
): string | null {
  const text = checkText(value ?? "", { field, max: MAX_DESCRIPTION });
  return text === "" ? null : text;
}

/**
 * The key under which names are unique: trimmed, Unicode-normalised and
 * lower-cased. Write-side lookup tables must key names the same way.
 */
export function nameKey(name: string): string {
  return name.trim().normalize("NFC").toLowerCase();
}

/** A trimmed reason, null when empty; a ValidationError when too long or not storable text. */
export function checkReason(value: string | null | undefined, field = "reason"): string | null {
  const text = checkText(value ?? "", { field, max: MAX_REASON });
  return text === "" ? null : text;
}
