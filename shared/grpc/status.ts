import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { isConnectionFailure } from "@shared/db/errors.ts";
import {
  AlreadyExistsError,
  AppError,
  type ErrorCode,
  errorFromCode,
  InternalError,
  UnavailableError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { decodeStatusDetails, encodeStatusDetails, STATUS_DETAILS_KEY } from "./status_details.ts";

const toStatus: Record<ErrorCode, grpc.status> = {
  VALIDATION: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  CONFLICT: grpc.status.ABORTED,
  PRECONDITION: grpc.status.FAILED_PRECONDITION,
  IDEMPOTENCY_KEY_REUSED: grpc.status.FAILED_PRECONDITION,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  FORBIDDEN: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

/** The status sent when even building the real one failed. */
function internalStatus(): Partial<grpc.StatusObject> {
  return { code: grpc.status.INTERNAL, details: "Internal error", metadata: new grpc.Metadata() };
}

/**
 * The AppError a handler's failure stands for: itself, UNAVAILABLE when the
 * database could not be reached, otherwise an INTERNAL error that hides it.
 */
export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isConnectionFailure(err)) {
    return new UnavailableError("The database is unavailable: try again later", {}, { cause: err });
  }
  return new InternalError("Internal error");
}

/**
 * Turns an error thrown by a handler into a gRPC status; internals are not
 * exposed. The code and details travel as a `google.rpc.Status` in binary
 * metadata, since text metadata takes only ASCII; the message is made
 * well-formed, as gRPC percent-encodes it. Never throws.
 */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  try {
    const app = asAppError(err);
    const code = app instanceof AlreadyExistsError
      ? grpc.status.ALREADY_EXISTS
      : toStatus[app.code] ?? grpc.status.INTERNAL;
    const message = String(app.message).toWellFormed();
    const { issues: _, ...details } = app.details;
    const metadata = new grpc.Metadata();
    metadata.set(
      STATUS_DETAILS_KEY,
      encodeStatusDetails({
        code,
        message,
        reason: app.code,
        details,
        ...(app instanceof ValidationError ? { issues: app.issues } : {}),
      }),
    );
    return { code, details: message, metadata };
  } catch {
    return internalStatus();
  }
}

/** Turns a gRPC client error back into the AppError the server raised. */
export function fromServiceError(err: grpc.ServiceError, service: string): AppError {
  const raw = err.metadata?.get(STATUS_DETAILS_KEY)[0];
  const decoded = raw instanceof Uint8Array ? decodeStatusDetails(Buffer.from(raw)) : null;
  if (decoded) {
    const details = decoded.issues
      ? { ...decoded.details, issues: decoded.issues }
      : decoded.details;
    const message = decoded.message || err.details;
    if (err.code === grpc.status.ALREADY_EXISTS) return new AlreadyExistsError(message, details);
    return errorFromCode(decoded.reason, message, details);
  }
  // No error code from our server: the call failed in transport (refused,
  // dropped, timed out, reset), so the service did not answer.
  if (err.code === grpc.status.UNIMPLEMENTED) {
    return new InternalError(`Service "${service}" failed: ${err.details}`, {}, { cause: err });
  }
  return new UnavailableError(`Service "${service}" is unavailable: try again later`, {
    service,
    grpcCode: grpc.status[err.code],
  }, { cause: err });
}
