import { SpanKind } from "@opentelemetry/api";
import { isConnectionFailure } from "@shared/db/errors.ts";
import { AlreadyExistsError, AppError, type ErrorCode } from "@shared/errors/mod.ts";
import { counter, histogram, secondsSince } from "./_registry.ts";
import { runSpan } from "./_span.ts";
import { contextFromTraceparent, injectTraceparent } from "./tracing.ts";

const serverHandled = counter(
  "grpc_server_handled_total",
  "RPCs completed by this server, by service, method and status code (rpc.server.calls)",
  ["service", "method", "code"],
);
const serverSeconds = histogram(
  "grpc_server_handling_seconds",
  "Time this server took to handle an RPC (rpc.server.duration)",
  ["service", "method"],
);
const clientHandled = counter(
  "grpc_client_handled_total",
  "RPCs this client completed, by service, method and status code (rpc.client.calls)",
  ["service", "method", "code"],
);
const clientSeconds = histogram(
  "grpc_client_handling_seconds",
  "Time an RPC took as this client saw it (rpc.client.duration)",
  ["service", "method"],
);

/** gRPC status code names, indexed by their numbers. */
export const grpcCodes = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/**
 * Same mapping as shared/grpc/status.ts, which turns AppErrors into statuses
 * (and a duplicate, AlreadyExistsError, into ALREADY_EXISTS).
 */
const byAppCode: Record<ErrorCode, string> = {
  VALIDATION: "INVALID_ARGUMENT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "ABORTED",
  PRECONDITION: "FAILED_PRECONDITION",
  IDEMPOTENCY_KEY_REUSED: "FAILED_PRECONDITION",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "PERMISSION_DENIED",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
};

/**
 * The gRPC status name of an error: a grpc-js ServiceError's numeric code, an
 * AppError's `details.grpcCode` (set by the client for outages) or its code
 * mapped as the server maps it; `fallback` for anything else.
 */
export function grpcCodeOf(err: unknown, fallback = "UNKNOWN"): string {
  if (err instanceof AlreadyExistsError) return "ALREADY_EXISTS";
  if (err instanceof AppError) {
    const grpcCode = err.details.grpcCode;
    return typeof grpcCode === "string" ? grpcCode : byAppCode[err.code];
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number" && grpcCodes[code]) return grpcCodes[code];
  if (isConnectionFailure(err)) return "UNAVAILABLE";
  return fallback;
}

/** Status codes that mean the server failed, as OpenTelemetry's RPC conventions list them. */
const serverFaults = new Set([
  "UNKNOWN",
  "DEADLINE_EXCEEDED",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
]);

/** Which RPC is observed. */
export interface RpcInfo {
  /** Fully qualified proto service, e.g. `cqrs.command.v1.CategoryCommands`. */
  service: string;
  /** Proto method name, e.g. `CreateCategory`. */
  method: string;
  /** Status name of a thrown error; default {@link grpcCodeOf}. */
  codeOf?: (err: unknown) => string;
}

function rpcAttributes(call: RpcInfo) {
  return { "rpc.system": "grpc", "rpc.service": call.service, "rpc.method": call.method };
}

function codeNumber(code: string): number {
  const index = (grpcCodes as readonly string[]).indexOf(code);
  return index < 0 ? 2 : index;
}

/**
 * Runs a server handler in a SERVER span that continues the caller's trace
 * (`traceparent` from the incoming metadata), timing it in
 * `grpc_server_handling_seconds` and counting it in
 * `grpc_server_handled_total` by status code. Only server faults (INTERNAL,
 * UNAVAILABLE, ...) mark the span as failed; refusals (INVALID_ARGUMENT,
 * NOT_FOUND, ...) are the client's. Errors thrown by `fn` are rethrown.
 *
 * @example
 * observeServerCall({ service, method, traceparent: ctx.metadata.traceparent }, () => handler(input, ctx));
 */
export function observeServerCall<T>(
  call: RpcInfo & { traceparent?: string | undefined },
  fn: () => T | Promise<T>,
): Promise<T> {
  const codeOf = call.codeOf ?? ((err: unknown) => grpcCodeOf(err, "INTERNAL"));
  const labels = { service: call.service, method: call.method };
  const start = performance.now();
  return runSpan(`${call.service}/${call.method}`, {
    kind: SpanKind.SERVER,
    attributes: rpcAttributes(call),
    parent: contextFromTraceparent(call.traceparent),
    isError: (err) => serverFaults.has(codeOf(err)),
  }, async (span) => {
    let code = "OK";
    try {
      return await fn();
    } catch (err) {
      code = codeOf(err);
      throw err;
    } finally {
      span.setAttribute("rpc.grpc.status_code", codeNumber(code));
      serverSeconds.observe(labels, secondsSince(start));
      serverHandled.inc({ ...labels, code });
    }
  });
}

/**
 * Runs one outgoing RPC attempt in a CLIENT span, child of the active span;
 * `fn` gets the `traceparent` to send in the call's metadata (undefined when
 * tracing is off). Times it in `grpc_client_handling_seconds` and counts it in
 * `grpc_client_handled_total` by status code; any error fails the span.
 *
 * @example
 * observeClientCall({ service, method }, (traceparent) => send({ ...metadata, traceparent }));
 */
export function observeClientCall<T>(
  call: RpcInfo,
  fn: (traceparent: string | undefined) => T | Promise<T>,
): Promise<T> {
  const codeOf = call.codeOf ?? ((err: unknown) => grpcCodeOf(err));
  const labels = { service: call.service, method: call.method };
  const start = performance.now();
  return runSpan(`${call.service}/${call.method}`, {
    kind: SpanKind.CLIENT,
    attributes: rpcAttributes(call),
  }, async (span) => {
    let code = "OK";
    try {
      return await fn(injectTraceparent());
    } catch (err) {
      code = codeOf(err);
      throw err;
    } finally {
      span.setAttribute("rpc.grpc.status_code", codeNumber(code));
      clientSeconds.observe(labels, secondsSince(start));
      clientHandled.inc({ ...labels, code });
    }
  });
}
