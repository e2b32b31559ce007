import { isUtf8 } from "node:buffer";
import { ValidationError } from "@shared/errors/mod.ts";

/**
 * Whether every percent-escape of a query string decodes to UTF-8. The URL
 * parser would turn a bad sequence into U+FFFD silently, changing what the
 * client sent.
 */
function utf8Query(search: string): boolean {
  for (const part of search.replace(/^\?/, "").split("&")) {
    try {
      decodeURIComponent(part.replaceAll("+", " "));
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Refuses a request whose text is not UTF-8: a body with invalid, overlong
 * or surrogate sequences, or a query string with such percent-escapes. The
 * decoders downstream would replace them with U+FFFD and store text the
 * client never sent. Returns null when the request is well-formed.
 */
export function checkEncoding(
  request: Request,
  body: Uint8Array | null = null,
): ValidationError | null {
  if (body && !isUtf8(body)) {
    return new ValidationError([{ field: "body", message: "must be valid UTF-8" }]);
  }
  const { search } = new URL(request.url);
  if (search && !utf8Query(search)) {
    return new ValidationError([{ field: "query string", message: "must be valid UTF-8" }]);
  }
  return null;
}
