import * as grpc from "@grpc/grpc-js";
import {
  AppError,
  type ErrorCode,
  errorFromCode,
  InternalError,
  UnavailableError,
} from "@shared/errors/mod.ts";

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

const CODE_KEY = "x-error-code";
const DETAILS_KEY = "x-error-details";

/** Turns an error thrown by a handler into a gRPC status; internals are not exposed. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const app = err instanceof AppError ? err : new InternalError("Internal error");
  const metadata = new grpc.Metadata();
  metadata.set(CODE_KEY, app.code);
  metadata.set(DETAILS_KEY, JSON.stringify(app.details));
  return { code: toStatus[app.code], details: app.message, metadata };
}

/** Turns a gRPC client error back into the AppError the server raised. */
export function fromServiceError(err: grpc.ServiceError, service: string): AppError {
  const code = err.metadata?.get(CODE_KEY)[0];
  if (typeof code === "string") {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(String(err.metadata.get(DETAILS_KEY)[0] ?? "{}"));
    } catch {
      details = {};
    }
    return errorFromCode(code, err.details, details);
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
