import { UnavailableError } from "@shared/errors/mod.ts";

// Errors of the socket or of postgres.js's connection handling: the database
// could not be reached, or the connection died mid-statement.
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

// SQLSTATEs of a server that is going away, starting, or full: class 08
// (connection exception), admin/crash shutdown, cannot connect now, too many
// connections.
function unavailableState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" ||
    code === "57P03" || code === "53300";
}

/**
 * Whether `err` says the database was unreachable or the connection broke,
 * rather than that the statement was wrong. A write that fails this way may
 * or may not have committed: callers get UNAVAILABLE (retry with the same
 * command id), never a definite failure.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || unavailableState(code))) {
    return true;
  }
  return typeof message === "string" && message.includes("socket has been ended");
}

/** Turns a database connection failure into UNAVAILABLE; any other error is returned as it is. */
export function asUnavailable(err: unknown): unknown {
  return isDatabaseUnavailable(err)
    ? new UnavailableError("The database is unavailable: try again", {}, { cause: err })
    : err;
}
