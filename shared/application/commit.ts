import { IdempotencyKeyReusedError, UnavailableError } from "@shared/errors/mod.ts";
import { countEventsPublished } from "@shared/observability/mod.ts";
import type { AppendEffects, AppendResult, EventStore } from "@shared/event_store/mod.ts";
import type { DomainEvent } from "./aggregates.ts";
import { canonicalJson, type Envelope } from "./envelope.ts";

/** The outcome of a command, as the command RPCs return it. */
export interface CommandOutcome {
  /** The aggregate (stream) it changed. */
  id: string;
  /** That stream's version after the command. */
  version: number;
  /** Global position of its last event ("0" when it appended nothing). */
  transactionId: string;
  position: string;
  /** What the mutation answers with, as JSON in the shape of a query view (see command.proto). */
  state?: string;
}

/** What a command decided for one stream: its events, appended at the version they were decided on. */
export interface Write {
  streamId: string;
  aggregateType: string;
  events: DomainEvent[];
  /** The version the state was loaded at (0: no stream). */
  loadedVersion: number;
}

/**
 * Appends what a command decided, atomically: one stream, or several in one
 * transaction. Each stream must still be at its loaded version; `effects`
 * runs in the same transaction (the lookup tables). The outcome is the first
 * write's; a command that decided nothing appends nothing.
 *
 * The view the command answers with travels in its events' metadata
 * (`answer`), next to the hash of its input, so a retried command id answers
 * what the first run answered, whatever happened since (see firstOutcome).
 */
export async function commit(
  store: EventStore,
  writes: Write[],
  options: {
    envelope: Envelope;
    effects?: AppendEffects | undefined;
    /**
     * What the command answers with: the aggregate as this command leaves it
     * (or, for a command on another stream, the one it is about), in the
     * shape of its query view; sent back as the outcome's `state`.
     */
    view?: () => unknown;
  },
): Promise<CommandOutcome> {
  const primary = writes[0];
  if (!primary) throw new TypeError("commit() needs at least one write");
  const changed = writes.filter((w) => w.events.length > 0);
  const view = options.view?.();
  const answer = view === undefined ? {} : { state: canonicalJson(view) };
  if (changed.length === 0) {
    return {
      id: primary.streamId,
      version: primary.loadedVersion,
      transactionId: "0",
      position: "0",
      ...answer,
    };
  }
  const { envelope } = options;
  const { commandId } = envelope;
  // A caller that gave up (its deadline passed while the store was slow to answer) was told
  // the call failed: committing now would do what it may send again.
  if (envelope.signal?.aborted) {
    throw new UnavailableError(
      "The caller gave up before the command could be committed: nothing was written; send it again with the same command id",
      { commandId },
    );
  }
  const metadata = view === undefined ? envelope.metadata : { ...envelope.metadata, answer: view };
  // A duplicate command id that raced this run: the first run's result and answer.
  const first = async (outcome: CommandOutcome) =>
    await firstOutcome(store, envelope, primary.streamId) ?? outcome;
  const common = {
    commandId,
    metadata,
    ...(options.effects ? { effects: options.effects } : {}),
  };
  const toNew = (w: Write) => w.events.map((e) => ({ type: e.type, data: e.data }));
  const expected = (w: Write) => w.loadedVersion === 0 ? "no_stream" as const : w.loadedVersion;
  if (changed.length === 1) {
    const only = changed[0]!;
    const result = await store.append(only.streamId, toNew(only), {
      aggregateType: only.aggregateType,
      expectedVersion: expected(only),
      ...common,
    });
    const outcome = outcomeOf(primary, only.streamId === primary.streamId ? result : undefined);
    if (result.duplicate) return await first(outcome);
    countEventsPublished(only.events.map((e) => e.type));
    return { ...outcome, ...answer };
  }
  const results = await store.appendMany(
    changed.map((w) => ({
      streamId: w.streamId,
      aggregateType: w.aggregateType,
      events: toNew(w),
      expectedVersion: expected(w),
    })),
    common,
  );
  const outcome = outcomeOf(primary, results.find((r) => r.streamId === primary.streamId));
  if (results.some((r) => r.duplicate)) return await first(outcome);
  countEventsPublished(changed.flatMap((w) => w.events.map((e) => e.type)));
  return { ...outcome, ...answer };
}

function outcomeOf(primary: Write, result: AppendResult | undefined): CommandOutcome {
  const last = result?.positions.at(-1);
  return {
    id: primary.streamId,
    version: result?.nextVersion ?? primary.loadedVersion,
    transactionId: last?.transactionId ?? "0",
    position: last?.id ?? "0",
  };
}

/**
 * The first result of a command already handled (the event store's
 * `commandResult`); undefined when its id is new. The result of
 * `primaryId`'s stream when the command wrote several, else the first, with
 * the answer the first run gave (`state`), which its events' metadata keep.
 * A command id first used with another input (another RPC, other fields) is
 * refused with IdempotencyKeyReusedError: the first command stands, and
 * answering its result would drop this one unseen.
 */
export async function firstOutcome(
  store: EventStore,
  envelope: Pick<Envelope, "commandId" | "inputHash">,
  primaryId: string,
): Promise<CommandOutcome | undefined> {
  const handled = await store.commandResult(envelope.commandId, { withMetadata: true });
  const stream = handled?.streams.find((s) => s.streamId === primaryId) ?? handled?.streams[0];
  if (!handled || !stream) return undefined;
  const recorded = handled.metadata.inputHash;
  // A command recorded without a hash (a saga step from before steps went over gRPC) cannot be
  // compared: it stands as sent.
  if (
    envelope.inputHash !== undefined && typeof recorded === "string" &&
    recorded !== envelope.inputHash
  ) {
    throw new IdempotencyKeyReusedError(
      `Command id "${envelope.commandId}" was first used with another input: ` +
        "that command stands and this one changed nothing; send a new id for a new command",
      { field: "x-command-id" },
    );
  }
  const last = stream.positions.at(-1);
  const outcome = {
    id: stream.streamId,
    version: stream.nextVersion,
    transactionId: last?.transactionId ?? "0",
    position: last?.id ?? "0",
  };
  const answer = handled.metadata.answer;
  return answer === undefined ? outcome : { ...outcome, state: canonicalJson(answer) };
}
