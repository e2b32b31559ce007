import { ValidationError } from "@shared/errors/mod.ts";

/** Longest description accepted, as `fields.description` also checks at the edge. */
export const MAX_DESCRIPTION = 2000;

/** A one-field ValidationError: `field: message`. */
export function invalid(field: string, message: string): ValidationError {
  return new ValidationError([{ field, message }]);
}

/** Quotes a value for an error message, shortening long ones. */
export function quote(value: unknown): string {
  const text = String(value);
  return `"${text.length > 40 ? `${text.slice(0, 37)}...` : text}"`;
}

/**
 * The trimmed name, or a ValidationError naming the field when it is empty
 * or longer than `max` characters after trimming.
 */
export function checkName(value: string, options: { field?: string; max: number }): string {
  const field = options.field ?? "name";
  const name = value.trim();
  if (name.length === 0) throw invalid(field, "must not be empty");
  if (name.length > options.max) {
    throw invalid(
      field,
      `must be at most ${options.max} characters, got ${name.length} in ${quote(name)}`,
    );
  }
  return name;
}

/** A trimmed description, null when empty; a ValidationError when too long. */
export function checkDescription(
  value: string | null | undefined,
  field = "description",
): string | null {
  const text = value?.trim() ?? "";
  if (text.length > MAX_DESCRIPTION) {
    throw invalid(field, `must be at most ${MAX_DESCRIPTION} characters, got ${text.length}`);
  }
  return text === "" ? null : text;
}

/**
 * The key under which names are unique: trimmed, Unicode-normalised and
 * lower-cased. Write-side lookup tables must key names the same way.
 */
export function nameKey(name: string): string {
  return name.trim().normalize("NFC").toLowerCase();
}
