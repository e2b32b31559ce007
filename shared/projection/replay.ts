import { pipelinedTransaction } from "@shared/db/transaction.ts";
import type { EventStore, Position, RecordedEvent } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { applyIsolated, describeError } from "@shared/consumer/isolate.ts";
import { publishChanges } from "./change_feed.ts";
import { readCheckpoint } from "./checkpoint.ts";
import {
  type DeadLetter,
  listDeadLetters,
  recordDeadLetters,
} from "@shared/consumer/dead_letters.ts";
import { Lease, openLeaseSession } from "@shared/consumer/lease.ts";
import type { Projection } from "./types.ts";

/** Options of {@link replayDeadLetters}. */
export interface ReplayOptions {
  store: EventStore;
  readModelUrl: string;
  /** How long to wait for the live owner to hand the lease over; default 30000 ms. */
  takeoverTimeoutMs?: number;
  logger?: Logger;
  /** Application name of the replay's session; default `projections-replay/<pid>`. */
  applicationName?: string;
}

/** How a replay went. */
export interface ReplayResult {
  projection: string;
  /** Dead letters that applied and were removed. */
  replayed: number;
  /** Those that threw again: kept, with one more attempt counted. */
  failed: { position: Position; eventType: string; error: string }[];
}

function atOrBefore(a: Position, b: Position): boolean {
  const ax = BigInt(a.transactionId), bx = BigInt(b.transactionId);
  return ax < bx || (ax === bx && BigInt(a.id) <= BigInt(b.id));
}

/**
 * Retries a projection's dead letters, after a fix. For each stream with
 * dead letters, it applies again, in order and each in a savepoint, the
 * stream's events from the first dead one up to the projection's
 * checkpoint: the dead event itself, and the later events of its stream
 * that found nothing to change without it (handlers are idempotent, so those
 * that did apply change nothing twice). Events that apply leave the
 * dead-letter table; those that throw stay, one attempt more. It holds the
 * projection's lease meanwhile (the live owner hands it over and resumes
 * after).
 */
export async function replayDeadLetters(
  projection: Projection,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const session = openLeaseSession(
    options.readModelUrl,
    options.applicationName ?? `projections-replay/${Deno.pid}`,
  );
  const lease = new Lease(session, projection.name);
  const result: ReplayResult = { projection: projection.name, replayed: 0, failed: [] };
  try {
    if ((await listDeadLetters(session, projection.name)).length === 0) return result;
    await lease.takeOver(options.takeoverTimeoutMs ?? 30_000);
    const checkpoint = await readCheckpoint(session, projection.name);
    const letters = await listDeadLetters(session, projection.name);
    const byStream = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      byStream.set(letter.aggregateId, [...byStream.get(letter.aggregateId) ?? [], letter]);
    }
    for (const [streamId, dead] of byStream) {
      const first = await options.store.readAll(
        {
          transactionId: dead[0]!.position.transactionId,
          id: String(BigInt(dead[0]!.position.id) - 1n),
        },
        1,
      );
      const start = first[0];
      if (!start || start.eventId !== dead[0]!.eventId) {
        for (const d of dead) {
          result.failed.push({
            position: d.position,
            eventType: d.eventType,
            error: "The event is no longer in the event store",
          });
        }
        continue;
      }
      const events = (await options.store.readStream(streamId, { from: start.version }))
        .filter((e) => atOrBefore(e.position, checkpoint));
      await replayStream(lease, projection, events, dead, checkpoint, result);
    }
    options.logger?.info("dead letters replayed", {
      projection: projection.name,
      replayed: result.replayed,
      failed: result.failed.length,
    });
    return result;
  } finally {
    await lease.release().catch(() => {});
    await session.end({ timeout: 5 });
  }
}

async function replayStream(
  lease: Lease,
  projection: Projection,
  events: RecordedEvent[],
  dead: DeadLetter[],
  checkpoint: Position,
  result: ReplayResult,
): Promise<void> {
  await pipelinedTransaction(lease.sql, async (tx) => {
    await lease.fence(tx);
    const failed = await applyIsolated(tx, projection, events);
    const failedIds = new Set(failed.map((f) => f.event.eventId));
    // A later event that throws now (with the dead one applied before it) is a dead letter too.
    await recordDeadLetters(tx, projection.name, failed);
    const healed = dead.filter((d) => !failedIds.has(d.eventId));
    if (healed.length > 0) {
      await tx`
        DELETE FROM projection_dead_letters
        WHERE projection = ${projection.name}
          AND event_id = ANY(${healed.map((d) => d.eventId)}::uuid[])`;
    }
    await publishChanges(tx, projection.name, checkpoint, events);
    result.replayed += healed.length;
    for (const f of failed) {
      result.failed.push({
        position: f.event.position,
        eventType: f.event.type,
        error: describeError(f.error),
      });
    }
  });
}
