/**
 * The rules every free-text field follows, on both sides: the zod contracts
 * at the edges and the deciders use these same functions, so a value one
 * side accepts the other accepts too.
 */

/** A text's length as the rules count it: in code points, so an emoji is one character. */
export function textLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first `max` code points of a text, never cutting a surrogate pair in two. */
export function textPrefix(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  let n = 0;
  for (const ch of text) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

/** Options of {@link textProblem}. */
export interface TextOptions {
  /** Allow line breaks and tabs (descriptions, reasons); names are one line. */
  multiline?: boolean;
}

/**
 * What is wrong with a text that would not survive storage unchanged, in
 * words, or null when nothing is: a lone UTF-16 surrogate (stored as U+FFFD),
 * a NUL (PostgreSQL text cannot hold one) or another control character.
 */
export function textProblem(text: string, options: TextOptions = {}): string | null {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `must be valid Unicode: a lone surrogate at character ${i}`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      return `must be valid Unicode: a lone surrogate at character ${i}`;
    }
    if (unit === 0) return "must not contain a NUL character";
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) {
      if (options.multiline && (unit === 0x09 || unit === 0x0a || unit === 0x0d)) continue;
      const code = unit.toString(16).toUpperCase().padStart(4, "0");
      return `must not contain control characters (U+${code} at character ${i})`;
    }
  }
  return null;
}
