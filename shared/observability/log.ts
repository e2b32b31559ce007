import { context, trace } from "@opentelemetry/api";

/**
 * The trace id of the active span, for the logger to add as `traceId`;
 * undefined when tracing is off or no span is active.
 */
export function currentTraceId(): string | undefined {
  const span = trace.getSpanContext(context.active());
  return span && trace.isSpanContextValid(span) ? span.traceId : undefined;
}

const REDACTED = "[REDACTED]";

/** Key names (lower case, without `-` and `_`) whose values are never logged. */
const secretKeys =
  /password|passwd|secret|(pwd|token|authorization|cookie|apikey|accesskey|privatekey|credentials?|sessionid|signature)$/;
/** Keys that match the pattern above but hold no secret. */
const publicKeys = new Set(["consistencytoken"]);

const bearer = /\b(Bearer|Basic)\s+([A-Za-z0-9\-._~+/]+=*)/gi;
const jwt = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;

/** The first characters of a token, enough to tell two apart, never enough to use one. */
function prefix(token: string): string {
  return `${token.slice(0, Math.min(6, Math.floor(token.length / 3)))}…`;
}

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, "");
  return secretKeys.test(k) && !publicKeys.has(k);
}

/** Masks bearer/basic credentials and JWTs (keeping a short prefix) and passwords in URLs. */
function redactString(value: string): string {
  return value
    .replace(bearer, (_, scheme: string, token: string) => `${scheme} ${prefix(token)}`)
    .replace(jwt, (token) => prefix(token))
    .replace(urlCredentials, "$1***@");
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === "string") return redactString(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return "[Circular]";
  if (depth > 8) return "[Truncated]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, seen, depth + 1));
    if (value instanceof Error) {
      return {
        name: value.name,
        message: redactString(value.message),
        stack: value.stack === undefined ? undefined : redactString(value.stack),
        cause: redactValue(value.cause, seen, depth + 1),
        ...redactFields(value as unknown as Record<string, unknown>, seen, depth),
      };
    }
    return redactFields(value as Record<string, unknown>, seen, depth);
  } finally {
    seen.delete(value);
  }
}

function redactFields(
  fields: Record<string, unknown>,
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = isSecretKey(key) && value !== undefined && value !== null && value !== ""
      ? REDACTED
      : redactValue(value, seen, depth + 1);
  }
  return out;
}

/**
 * A copy of log fields with no secret in it: values under secret-looking keys
 * (password, secret, token, authorization, cookie, apiKey, ...; at any depth)
 * become `[REDACTED]`; bearer/basic credentials and JWTs anywhere in strings
 * keep only a short prefix (`Bearer eyJhbG…`); passwords in URLs become
 * `***`. Errors become plain `{ name, message, stack, cause }` objects,
 * redacted the same way. The input is not changed.
 *
 * @example
 * redact({ authorization: "Bearer abc.def.ghi", url: "postgres://u:pw@db/x" })
 * // { authorization: "[REDACTED]", url: "postgres://u:***@db/x" }
 */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  return redactFields(fields, new WeakSet([fields]), 0);
}
