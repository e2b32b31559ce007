import { ConflictError, ForbiddenError, ValidationError } from "@shared/errors/mod.ts";
import { ConcurrencyError } from "@shared/event_store/mod.ts";
import type { CallGuard } from "@shared/grpc/guard.ts";
import type { CallMetadata, ServiceContract } from "@shared/grpc/contract.ts";
import type { SelfCheckedBinding, UncheckedCall } from "@shared/grpc/server.ts";
import { parseRequest } from "@shared/grpc/validate.ts";
import { observeCommand } from "@shared/observability/mod.ts";
import type { KeyedLock } from "@shared/runtime/keyed_lock.ts";
import type { ApplicationDeps, Command } from "./command.ts";
import { type CommandOutcome, firstOutcome } from "./commit.ts";
import { type Envelope, envelopeOf } from "./envelope.ts";

/**
 * The command pipeline, the one path every command takes, whoever sends it:
 *
 * 1. authenticate and authorize: the caller's token, then the access
 *    policy's rule for the RPC (its contract's `access`), through the call
 *    guard;
 * 2. validate the input against the RPC's contract, and the envelope (its
 *    command id); then the command's own check of the caller (`authorize`);
 * 3. scope idempotency: a command id already handled answers its first
 *    result before anything is loaded, or is refused when sent with another
 *    input;
 * 4. load the command's stream (the state kept of it, or its snapshot, and the
 *    events since) and what its `load` reads;
 * 5. decide;
 * 6. commit the events with the transaction's effects (all streams or none);
 * 7. return the outcome, with the view the command answers with.
 *
 * Steps 4 to 6 run again after a deadlock, and, for a saga step or a
 * command declared `rerunOnConflict`, after a concurrent write to its stream.
 */

/** What the pipeline runs with. */
export interface PipelineDeps extends ApplicationDeps {
  /**
   * Verifies callers and applies the access policy: a command sent from
   * outside is refused without one.
   */
  guard?: CallGuard;
  /** Queues saga steps per stream within this process. */
  streamLocks: KeyedLock;
}

/** A command sent from outside (over gRPC), nothing of it checked yet. */
export interface CommandCall {
  /** The request as the transport decoded it. */
  request: unknown;
  /** The call's `authorization` values (a bearer token), not yet verified. */
  authorization: readonly unknown[];
  metadata: CallMetadata;
  /** Aborts when the caller gives up (its deadline passed, it went away). */
  signal?: AbortSignal;
}

/** Runs a command sent from outside through every step of the pipeline. */
export async function dispatch<D extends PipelineDeps, I>(
  deps: D,
  command: Command<D, I>,
  call: CommandCall,
): Promise<CommandOutcome> {
  const { rpc } = command;
  // 1. Who calls, and may they call this RPC at all: before the input is even looked at.
  if (!deps.guard) {
    throw new ForbiddenError(`Cannot call "${rpc.key}": this service checks no callers`);
  }
  const actor = await deps.guard.authorize(rpc.name, call.authorization);
  // 2. The input as the contract accepts it.
  const input = parseRequest(rpc.input, call.request);
  // Counted and timed from here: a command its caller was allowed to send, with a valid input.
  return await observeCommand(rpc.name.slice(rpc.name.lastIndexOf("/") + 1), () => {
    // The envelope (its command id checked), then the command's own check of the caller.
    const sent = envelopeOf({ at: deps.now(), actor, metadata: call.metadata }, rpc.key, input);
    // A step is recorded whatever its caller does: its call to an outside system (a charge, a
    // booking) may have taken effect, and the step's retry must find it, not ask again.
    const envelope = command.step
      ? stepEnvelope(sent, call.metadata)
      : { ...sent, signal: call.signal };
    command.authorize(input, actor);
    return execute(deps, command, input, envelope);
  });
}

/**
 * The envelope of a saga step sent over gRPC: its command id is the step's
 * own (required, so sending it again takes effect once), and it runs as an
 * in-process command (queued per stream, run again on a concurrent write).
 */
function stepEnvelope(envelope: Envelope, metadata: CallMetadata): Envelope {
  if (metadata.commandId === undefined) {
    throw new ValidationError([{
      field: "x-command-id",
      message: "is required: a saga step takes effect once per command id",
    }]);
  }
  return { ...envelope, internal: true };
}

/**
 * Steps 3 to 7 for an input and an envelope already checked: idempotency,
 * load, decide, commit, outcome.
 */
export async function execute<D extends PipelineDeps, I>(
  deps: D,
  command: Command<D, I>,
  input: I,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const primaryId = command.streamOf(input, envelope);
  return await runOnce(deps, envelope, {
    primaryId,
    rerunOnConflict: command.rerunOnConflict,
    // Loaded beside the command id's lookup, saving a round trip; a step's load may reach an
    // outside system, so it waits for the lookup.
    loadsAside: !command.step,
    attempt: (handled) => command.attempt(deps, input, envelope, primaryId, handled),
  });
}

/**
 * The gRPC binding of a command contract: each RPC dispatches its declared
 * command. Refuses a contract RPC without a command, or a command of another RPC.
 */
export function bindCommands<D extends PipelineDeps>(
  deps: D,
  contract: ServiceContract,
  // deno-lint-ignore no-explicit-any
  commands: Record<string, Command<D, any>>,
): SelfCheckedBinding {
  const selfChecked: SelfCheckedBinding["selfChecked"] = {};
  for (const key of Object.keys(contract.methods)) {
    const command = commands[key];
    if (
      !command?.rpc || command.rpc.key !== key ||
      !command.rpc.name.startsWith(`${contract.service}/`)
    ) {
      throw new TypeError(`No command declared for ${contract.service}/${key}`);
    }
    selfChecked[key] = (request: unknown, call: UncheckedCall) =>
      dispatch(deps, command, {
        request,
        authorization: call.authorization,
        metadata: call.metadata,
        signal: call.signal,
      });
  }
  return { contract, selfChecked };
}

/**
 * The commands that `modules` (handler modules, imported whole) declare for
 * `contract`, keyed by its RPC keys: a command is served once its
 * declaration is exported, with nothing to list by hand. Refuses two
 * declarations of one RPC.
 */
export function declaredIn<D extends PipelineDeps>(
  contract: ServiceContract,
  modules: readonly Record<string, unknown>[],
  // deno-lint-ignore no-explicit-any
): Record<string, Command<D, any>> {
  // deno-lint-ignore no-explicit-any
  const found: Record<string, Command<D, any>> = {};
  for (const value of modules.flatMap((m) => Object.values(m))) {
    // deno-lint-ignore no-explicit-any
    const command = value as Partial<Command<D, any>> | null;
    const rpc = command?.rpc;
    if (typeof command?.attempt !== "function" || !rpc?.name.startsWith(`${contract.service}/`)) {
      continue;
    }
    if (found[rpc.key] && found[rpc.key] !== command) {
      throw new TypeError(`Two commands declared for ${rpc.name}`);
    }
    // deno-lint-ignore no-explicit-any
    found[rpc.key] = command as Command<D, any>;
  }
  return found;
}

/** Runs after a deadlock or a serialisation failure, which PostgreSQL resolves by aborting one side. */
const TRANSIENT_ATTEMPTS = 4;
/** Internal commands run again after a concurrent write to their stream, on the new state. */
const CONFLICT_ATTEMPTS = 20;

/**
 * Runs a command once per command id. A command id already handled returns
 * its first result (and answer) before anything is loaded or decided, so a
 * retry never appends and is never refused by a state the first run
 * created; sent with another input, it is refused (IDEMPOTENCY_KEY_REUSED).
 * A concurrent duplicate that loses the race also ends with the first result.
 *
 * A concurrent write to the same stream is a CONFLICT for a caller over
 * gRPC; a saga step queues per stream in this process and
 * runs again on the new state instead.
 */
async function runOnce(
  deps: PipelineDeps,
  envelope: Envelope,
  run: {
    primaryId: string;
    attempt: (handled?: Promise<CommandOutcome | undefined>) => Promise<CommandOutcome>;
    rerunOnConflict: boolean;
    loadsAside: boolean;
  },
): Promise<CommandOutcome> {
  const first = () => firstOutcome(deps.store, envelope, run.primaryId);
  const task = async (): Promise<CommandOutcome> => {
    const handled = first();
    if (!run.loadsAside) {
      const stored = await handled;
      if (stored) return stored;
    }
    for (let attempt = 1;; attempt++) {
      try {
        // The first attempt answers a command id handled before; later ones follow a conflict.
        return await run.attempt(attempt === 1 && run.loadsAside ? handled : undefined);
      } catch (err) {
        if (err instanceof ConflictError) {
          const raced = await first();
          if (raced) return raced;
        }
        const transient = isTransient(err);
        const again = transient ? attempt < TRANSIENT_ATTEMPTS : err instanceof ConcurrencyError &&
          (envelope.internal || run.rerunOnConflict) &&
          attempt < CONFLICT_ATTEMPTS;
        if (!again) {
          if (transient) {
            throw new ConflictError(
              "Cannot complete the command: it kept colliding with concurrent commands; try again",
              { commandId: envelope.commandId },
              { cause: err },
            );
          }
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  };
  return envelope.internal ? await deps.streamLocks.run(run.primaryId, task) : await task();
}

function backoff(attempt: number): number {
  return Math.min(50, 2 ** attempt) * (0.5 + Math.random());
}

function isTransient(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === "PostgresError" && (e.code === "40P01" || e.code === "40001");
}
