import { createHash } from "node:crypto";
import { ANONYMOUS, auditOf, hasRole, type Principal } from "@shared/auth/mod.ts";
import { ValidationError } from "@shared/errors/mod.ts";
import type { EventMetadata } from "@shared/event_store/mod.ts";
import type { CallMetadata } from "@shared/grpc/contract.ts";
import { quote } from "@shared/domain/shared/rules.ts";

/** Who sent a command, when and why: its id, its time and the metadata of every event it appends. */
export interface Envelope {
  /** Makes the command idempotent; generated ids derive from it. */
  commandId: string;
  /** Correlation, causation, user, tenant and trace context; the store adds the command id. */
  metadata: EventMetadata;
  at: string;
  /** A saga step: queued per stream and run again on a concurrent write instead of refused. */
  internal: boolean;
  /** Who sent it, verified: the handlers check ownership against it. */
  actor: Principal;
  /**
   * The hash of the RPC and its validated input (see {@link inputHash}), also
   * in `metadata.inputHash`: a command id sent again with another input is
   * refused instead of answered with the first result. In-process commands
   * have none: their ids derive from what they do.
   */
  inputHash?: string;
  /**
   * The caller's, when it can give up (a gRPC call): once it has aborted,
   * the command is not committed, so a caller told that its call failed
   * never finds it done later, and a retry under the same command id runs
   * it once. Saga steps have none: what their outside calls did is
   * recorded whatever the caller does.
   */
  signal?: AbortSignal | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The envelope of a call to `rpc` (its contract key) with `input` (as its
 * contract parsed it), sent by `actor` (verified) at `at`: its x-command-id (a new one when the caller sent none, so every event
 * still names its command), the hash of the call and the rest of its
 * metadata. The user, roles and tenant recorded come only from the verified
 * caller. A causation id names the event that caused a command, which only
 * a service (staff) sends; from anyone else it is dropped. A consistency
 * token is for reads and is dropped.
 */
export function envelopeOf(
  call: { at: string; actor: Principal | undefined; metadata: CallMetadata },
  rpc: string,
  input: unknown,
): Envelope {
  const actor = call.actor ?? ANONYMOUS;
  const {
    commandId,
    consistencyToken: _,
    userId: _user,
    tenantId: _tenant,
    causationId,
    ...rest
  } = call.metadata;
  if (commandId !== undefined && !UUID.test(commandId)) {
    throw new ValidationError([{
      field: "x-command-id",
      message: `must be a UUID, got ${quote(commandId)}`,
    }]);
  }
  const hash = inputHash(rpc, input);
  const caused = hasRole(actor, "staff") && causationId ? { causationId } : {};
  return {
    commandId: (commandId ?? crypto.randomUUID()).toLowerCase(),
    metadata: { ...definedOnly({ ...rest, ...caused, ...auditOf(actor) }), inputHash: hash },
    at: call.at,
    internal: false,
    actor,
    inputHash: hash,
  };
}

/**
 * SHA-256 (hex) of an RPC's name and its input as canonical JSON (keys
 * sorted, absent fields left out), so the same request always hashes alike
 * whatever order its fields came in.
 */
export function inputHash(rpc: string, input: unknown): string {
  return createHash("sha256").update(canonicalJson([rpc, input])).digest("hex");
}

/**
 * JSON with every object's keys sorted: the same value always gives the same
 * text, whichever order it was built in (or PostgreSQL's JSONB stored it in).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
        : v,
  );
}

function definedOnly(metadata: Record<string, unknown>): EventMetadata {
  return Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined));
}
