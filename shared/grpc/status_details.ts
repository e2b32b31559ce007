/**
 * Rich error details the standard gRPC way: a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer, holding an `ErrorInfo` (our error code
 * and its caller-safe details) and, for bad input, a `BadRequest` whose field
 * violations name each field. Binary metadata carries any text, where a text
 * metadata value must be printable ASCII.
 */
import { parseJson } from "@shared/runtime/json.ts";
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import type { FieldIssue } from "@shared/errors/mod.ts";

/** The trailer generic gRPC clients read rich error details from. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** `ErrorInfo.domain` of the errors this project raises. */
export const ERROR_DOMAIN = "cqrs.platform";

const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";

// The subset of google/rpc/status.proto, error_details.proto and
// google/protobuf/any.proto that the errors use, field numbers as published.
const { root } = protobuf.parse(`
syntax = "proto3";
package google.rpc;
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
message BadRequest {
  message FieldViolation { string field = 1; string description = 2; }
  repeated FieldViolation field_violations = 1;
}
`);
const Status = root.lookupType("google.rpc.Status");
const ErrorInfo = root.lookupType("google.rpc.ErrorInfo");
const BadRequest = root.lookupType("google.rpc.BadRequest");

/** What an error says beyond its status code. */
export interface ErrorDetails {
  /** The gRPC status code. */
  code: number;
  message: string;
  /** Our error code (`VALIDATION`, `CONFLICT`…), as `ErrorInfo.reason`. */
  reason: string;
  /** Caller-safe details, without the issues. */
  details: Record<string, unknown>;
  /** The fields a bad request got wrong, as `BadRequest` field violations. */
  issues?: FieldIssue[];
}

/** Encodes error details as a `google.rpc.Status` message. */
export function encodeStatusDetails(error: ErrorDetails): Buffer {
  const any = [{
    typeUrl: ERROR_INFO,
    value: ErrorInfo.encode({
      reason: error.reason,
      domain: ERROR_DOMAIN,
      metadata: { details: JSON.stringify(error.details) },
    }).finish(),
  }];
  if (error.issues) {
    any.push({
      typeUrl: BAD_REQUEST,
      value: BadRequest.encode({
        fieldViolations: error.issues.map((i) => ({ field: i.field, description: i.message })),
      }).finish(),
    });
  }
  return Buffer.from(
    Status.encode({ code: error.code, message: error.message, details: any }).finish(),
  );
}

interface DecodedAny {
  typeUrl: string;
  value: Uint8Array;
}

/**
 * Decodes a `google.rpc.Status` this project's servers sent; null when the
 * bytes are not one or carry no `ErrorInfo` of ours. Never throws.
 */
export function decodeStatusDetails(bytes: Uint8Array): ErrorDetails | null {
  try {
    const status = Status.toObject(Status.decode(bytes), { defaults: true }) as {
      code: number;
      message: string;
      details: DecodedAny[];
    };
    let out: ErrorDetails | null = null;
    let issues: FieldIssue[] | undefined;
    for (const any of status.details) {
      if (any.typeUrl === ERROR_INFO) {
        const info = ErrorInfo.toObject(ErrorInfo.decode(any.value), { defaults: true }) as {
          reason: string;
          domain: string;
          metadata: Record<string, string>;
        };
        if (info.domain !== ERROR_DOMAIN) continue;
        const parsed: unknown = parseJson(info.metadata.details ?? "{}");
        const details = parsed && typeof parsed === "object" && !Array.isArray(parsed)
          ? parsed as Record<string, unknown>
          : {};
        out = { code: status.code, message: status.message, reason: info.reason, details };
      } else if (any.typeUrl === BAD_REQUEST) {
        const request = BadRequest.toObject(BadRequest.decode(any.value), { defaults: true }) as {
          fieldViolations: { field: string; description: string }[];
        };
        issues = request.fieldViolations.map((v) => ({ field: v.field, message: v.description }));
      }
    }
    if (out && issues) out.issues = issues;
    return out;
  } catch {
    return null;
  }
}
