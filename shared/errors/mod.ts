/**
 * The error vocabulary shared by every service. Each edge (gRPC server,
 * gRPC client, GraphQL) maps these classes once, by their `code`.
 */

/** Stable error codes, as the GraphQL `extensions.code` exposes them. */
export type ErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PRECONDITION"
  | "IDEMPOTENCY_KEY_REUSED"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "UNAVAILABLE"
  | "INTERNAL";

/** One problem with one input field. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `input.name`. */
  field: string;
  /** The rule that the value broke, in words. */
  message: string;
}

/** Base class of every error the domain and the edges raise on purpose. */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, caller-safe details (field names, versions). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.details = details;
  }
}

/** Bad input: names each field and the rule it broke. */
export class ValidationError extends AppError {
  override readonly name: string = "ValidationError";
  readonly code = "VALIDATION" as const;
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], options?: ErrorOptions) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join("; "), { issues }, options);
    this.issues = issues;
  }
}

/** The addressed entity does not exist. */
export class NotFoundError extends AppError {
  override readonly name: string = "NotFoundError";
  readonly code = "NOT_FOUND" as const;
}

/** A duplicate or a concurrent modification. */
export class ConflictError extends AppError {
  override readonly name: string = "ConflictError";
  readonly code = "CONFLICT" as const;
}

/**
 * A duplicate: the name or id is taken. Still a CONFLICT to GraphQL callers;
 * over gRPC it is ALREADY_EXISTS, where a concurrent change is ABORTED.
 */
export class AlreadyExistsError extends ConflictError {
  override readonly name: string = "AlreadyExistsError";
}

/** A rule of state refused the command (deleted, has children, illegal transition). */
export class PreconditionError extends AppError {
  override readonly name: string = "PreconditionError";
  readonly code = "PRECONDITION" as const;
}

/**
 * A command id (an Idempotency-Key) was sent again with another input or for
 * another operation: the first command stands and nothing is written.
 */
export class IdempotencyKeyReusedError extends AppError {
  override readonly name: string = "IdempotencyKeyReusedError";
  readonly code = "IDEMPOTENCY_KEY_REUSED" as const;
}

/** A service the caller depends on did not answer. */
export class UnavailableError extends AppError {
  override readonly name: string = "UnavailableError";
  readonly code = "UNAVAILABLE" as const;
}

/** The caller is not authenticated. */
export class UnauthenticatedError extends AppError {
  override readonly name: string = "UnauthenticatedError";
  readonly code = "UNAUTHENTICATED" as const;
}

/** The caller may not do this. */
export class ForbiddenError extends AppError {
  override readonly name: string = "ForbiddenError";
  readonly code = "FORBIDDEN" as const;
}

/** An unexpected failure; its message never leaves the service. */
export class InternalError extends AppError {
  override readonly name: string = "InternalError";
  readonly code = "INTERNAL" as const;
}

const byCode = {
  VALIDATION: (m: string, d: Record<string, unknown>) =>
    new ValidationError((d.issues as FieldIssue[] | undefined) ?? [{ field: "input", message: m }]),
  NOT_FOUND: (m: string, d: Record<string, unknown>) => new NotFoundError(m, d),
  CONFLICT: (m: string, d: Record<string, unknown>) => new ConflictError(m, d),
  PRECONDITION: (m: string, d: Record<string, unknown>) => new PreconditionError(m, d),
  IDEMPOTENCY_KEY_REUSED: (m: string, d: Record<string, unknown>) =>
    new IdempotencyKeyReusedError(m, d),
  UNAUTHENTICATED: (m: string, d: Record<string, unknown>) => new UnauthenticatedError(m, d),
  FORBIDDEN: (m: string, d: Record<string, unknown>) => new ForbiddenError(m, d),
  UNAVAILABLE: (m: string, d: Record<string, unknown>) => new UnavailableError(m, d),
  INTERNAL: (m: string, d: Record<string, unknown>) => new InternalError(m, d),
} satisfies Record<ErrorCode, (m: string, d: Record<string, unknown>) => AppError>;

/** Rebuilds an AppError from its code, message and details (the inverse of serialising one). */
export function errorFromCode(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): AppError {
  const make = byCode[code as ErrorCode] ?? byCode.INTERNAL;
  return make(message, details);
}
