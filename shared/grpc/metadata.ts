import * as grpc from "@grpc/grpc-js";
import type { CallMetadata } from "./contract.ts";

const keys: Record<keyof CallMetadata, string> = {
  commandId: "x-command-id",
  correlationId: "x-correlation-id",
  causationId: "x-causation-id",
  userId: "x-user-id",
  tenantId: "x-tenant-id",
  traceparent: "traceparent",
  consistencyToken: "x-consistency-token",
};

/** What gRPC accepts as a text metadata value: printable ASCII. */
const ASCII = /^[\x20-\x7e]*$/;

/**
 * Encodes call metadata as gRPC metadata. A value gRPC cannot carry (not
 * printable ASCII) is left out rather than thrown on: the edges refuse such
 * values from callers, so this only guards against a bug.
 */
export function toGrpcMetadata(meta: CallMetadata = {}): grpc.Metadata {
  const out = new grpc.Metadata();
  for (const [field, key] of Object.entries(keys)) {
    const value = meta[field as keyof CallMetadata];
    if (typeof value === "string" && value && ASCII.test(value)) out.set(key, value);
  }
  return out;
}

/** Decodes call metadata from gRPC metadata, ignoring unknown keys. */
export function fromGrpcMetadata(metadata: grpc.Metadata): CallMetadata {
  const out: CallMetadata = {};
  for (const [field, key] of Object.entries(keys)) {
    const value = metadata.get(key)[0];
    if (typeof value === "string" && value.length > 0 && value.length <= 512) {
      out[field as keyof CallMetadata] = value;
    }
  }
  return out;
}
