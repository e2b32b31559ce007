/** Socket errors that mean the database could not be reached or dropped the connection. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a database that is there but cannot serve: class 08
 * (connection exception), too many connections, shutting down or starting up.
 */
const SERVER_CODES = new Set(["53300", "57P01", "57P02", "57P03"]);

/**
 * Whether an error means the database was unreachable or went away (a
 * refused or dropped connection, a timeout connecting, a server shutting
 * down), as opposed to refusing the statement. Looks through `cause` chains
 * and aggregate errors. Never throws.
 */
export function isConnectionFailure(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== "object" || err === null) return false;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) {
      return true;
    }
    // postgres.js's own: CONNECTION_CLOSED, CONNECTION_ENDED, CONNECTION_DESTROYED, CONNECT_TIMEOUT.
    if (/^CONNECT(ION)?_[A-Z_]+$/.test(code)) return true;
  }
  if (err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.ConnectionReset) {
    return true;
  }
  if (Array.isArray(errors) && errors.some((e) => isConnectionFailure(e, depth + 1))) return true;
  // A connection the server closed under a running statement.
  const { message } = err as { message?: unknown };
  if (typeof message === "string" && message.includes("socket has been ended")) return true;
  return isConnectionFailure(cause, depth + 1);
}

/** A PostgreSQL error as postgres.js raises it. */
export interface PgError {
  code: string;
  /** ERROR for a statement refused; FATAL or PANIC when the session ends with it. */
  severity?: string;
  constraint_name?: string;
  detail?: string;
}

/** True for an error the server raised (the statement failed and rolled back). */
export function isPgError(err: unknown): err is PgError {
  return typeof err === "object" && err !== null &&
    (err as { name?: unknown }).name === "PostgresError" &&
    typeof (err as { code?: unknown }).code === "string";
}
