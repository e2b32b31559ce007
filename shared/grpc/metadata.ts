import * as grpc from "@grpc/grpc-js";
import type { CallMetadata } from "./contract.ts";

/**
 * The metadata a call carries both ways. Identity (user, tenant, roles) is
 * not among them: a server takes it only from the verified token.
 */
const keys = {
  commandId: "x-command-id",
  correlationId: "x-correlation-id",
  causationId: "x-causation-id",
  traceparent: "traceparent",
  consistencyToken: "x-consistency-token",
} as const satisfies Partial<Record<keyof CallMetadata, string>>;

/** The metadata key of the caller's bearer token. */
export const AUTHORIZATION_KEY = "authorization";

/** What gRPC accepts as a text metadata value: printable ASCII. */
const ASCII = /^[\x20-\x7e]*$/;

/**
 * Encodes call metadata as gRPC metadata, with the bearer token as
 * `authorization`. A value gRPC cannot carry (not printable ASCII) is left
 * out rather than thrown on: the edges refuse such values from callers, so
 * this only guards against a bug. `userId` and `tenantId` are never sent.
 */
export function toGrpcMetadata(meta: CallMetadata = {}): grpc.Metadata {
  const out = new grpc.Metadata();
  const fields: [string, string][] = [...Object.entries(keys), [
    "authorization",
    AUTHORIZATION_KEY,
  ]];
  for (const [field, key] of fields) {
    const value = meta[field as keyof CallMetadata];
    if (typeof value === "string" && value && ASCII.test(value)) out.set(key, value);
  }
  return out;
}

/**
 * Decodes call metadata from gRPC metadata, ignoring unknown keys, the
 * bearer token (the server's guard reads it) and any identity header
 * (`x-user-id`, `x-tenant-id`): those are never trusted.
 */
export function fromGrpcMetadata(metadata: grpc.Metadata): CallMetadata {
  const out: CallMetadata = {};
  for (const [field, key] of Object.entries(keys)) {
    const value = metadata.get(key)[0];
    if (typeof value === "string" && value.length > 0 && value.length <= 512) {
      out[field as keyof typeof keys] = value;
    }
  }
  return out;
}
