import { ConflictError } from "@shared/errors/mod.ts";
import { ConcurrencyError } from "@shared/event_store/mod.ts";
import { storedOutcome } from "./command_results.ts";
import type { CommandOutcome } from "./commit.ts";
import type { CommandDeps } from "./deps.ts";
import type { Envelope } from "./envelope.ts";

/** One command to run: where its outcome lives, and how to load, decide and commit it. */
export interface CommandRun {
  /** The stream whose result a retried command id returns. */
  primaryId: string;
  /** Loads what the decider needs, decides and commits; may run more than once. */
  attempt: () => Promise<CommandOutcome>;
  /**
   * Runs again on the new state after a concurrent write to its stream, even
   * for a caller over gRPC: for a command that a concurrent one can only have
   * made a no-op (starting a saga the worker has just started).
   */
  rerunOnConflict?: boolean;
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
 * gRPC; an internal command (the saga) queues per stream in this process and
 * runs again on the new state instead.
 */
export async function runCommand(
  deps: CommandDeps,
  envelope: Envelope,
  run: CommandRun,
): Promise<CommandOutcome> {
  const first = () => storedOutcome(deps.store.sql, envelope, run.primaryId);
  const task = async (): Promise<CommandOutcome> => {
    const stored = await first();
    if (stored) return stored;
    for (let attempt = 1;; attempt++) {
      try {
        return await run.attempt();
      } catch (err) {
        if (err instanceof ConflictError) {
          const raced = await first();
          if (raced) return raced;
        }
        const transient = isTransient(err);
        const again = transient ? attempt < TRANSIENT_ATTEMPTS : err instanceof ConcurrencyError &&
          (envelope.internal || run.rerunOnConflict === true) &&
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
