import type { Sql, TxSql } from "@shared/db/connect.ts";
import type { PreparedCommand } from "./_command.ts";
import { ConcurrencyError } from "./errors.ts";
import { LOCK_STREAMS } from "./_sql.ts";
import {
  appendStatement,
  commandError,
  effectsError,
  isDuplicateCommand,
  isPgError,
  isTransient,
  type Outcome,
} from "./_statement.ts";
import type { StreamAppendResult } from "./types.ts";

/** Tuning of the group committer. */
export interface GroupCommitOptions {
  /** Most events one batch transaction carries; default 2000. */
  maxBatchEvents: number;
  /** Batch transactions in flight at once; default 2. */
  maxConcurrentBatches: number;
  /**
   * Asked before a batch runs alone: a channel when the batch should carry
   * the wake-up NOTIFY in its own statement, else undefined.
   */
  wakeUp: () => string | undefined;
  /** Called after a transaction that appended events committed; `woke` if it carried the NOTIFY. */
  onCommitted: (woke: boolean) => void;
}

interface Queued {
  command: PreparedCommand;
  resolve: (results: StreamAppendResult[]) => void;
  reject: (err: unknown) => void;
  /** Runs so far that ended in a deadlock or a racing duplicate. */
  attempts: number;
}

/** How many times a command runs again after a deadlock or a racing duplicate. */
const RETRIES = 3;

/**
 * Batches concurrent appends of one process into few transactions. A batch
 * holds each stream and each command id at most once. Simple commands share
 * one statement; a command with effects or several streams gets a savepoint
 * of its own, so its failure undoes only itself. Whatever fails the shared
 * statement is found by running its commands one by one.
 */
export class GroupCommitter {
  readonly #sql: Sql;
  readonly #options: GroupCommitOptions;
  #queue: Queued[] = [];
  /** Streams and command ids of the batches in flight: their next commands wait. */
  #busy = new Set<string>();
  #running = 0;
  #scheduled = false;
  /** Batches run and commands carried, for tests and tuning. */
  readonly stats = { batches: 0, commands: 0 };

  constructor(sql: Sql, options: GroupCommitOptions) {
    this.#sql = sql;
    this.#options = options;
  }

  /** Queues a command; resolves with its per-stream results once committed. */
  submit(command: PreparedCommand): Promise<StreamAppendResult[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ command, resolve, reject, attempts: 0 });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#options.maxConcurrentBatches && this.#queue.length > 0) {
      const batch = this.#take();
      if (batch.length === 0) return;
      const keys = batch.flatMap((q) => keysOf(q.command));
      for (const key of keys) this.#busy.add(key);
      this.#running++;
      this.stats.batches++;
      this.stats.commands += batch.length;
      this.#run(batch).finally(() => {
        for (const key of keys) this.#busy.delete(key);
        this.#running--;
        this.#schedule();
      });
    }
  }

  /**
   * Takes the next batch off the queue. A command whose stream or command id
   * is already taken (in this batch or one in flight) waits, which keeps the
   * appends to a stream in the order they were made; so does one that would
   * make the batch too big.
   */
  #take(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const taken = new Set(this.#busy);
    let events = 0;
    for (const item of this.#queue) {
      const keys = keysOf(item.command);
      const size = item.command.writes.reduce((n, w) => n + w.events.length, 0);
      const fits = batch.length === 0 || events + size <= this.#options.maxBatchEvents;
      const clash = keys.some((k) => taken.has(k));
      // A waiting command blocks its streams for the commands behind it, too.
      for (const key of keys) taken.add(key);
      if (!fits || clash) {
        rest.push(item);
        continue;
      }
      batch.push(item);
      events += size;
    }
    this.#queue = rest;
    return batch;
  }

  async #run(batch: Queued[]): Promise<void> {
    const simple = batch.filter((q) => !q.command.effects && q.command.writes.length === 1);
    const complex = batch.filter((q) => q.command.effects || q.command.writes.length > 1);
    let outcomes: Map<Queued, Outcome>;
    let retry: Queued[] = [];
    let again: Queued[] = [];
    let woke = false;
    try {
      if (complex.length === 0) {
        outcomes = new Map();
        const channel = this.#options.wakeUp();
        try {
          const list = await appendStatement(this.#sql, simple.map((q) => q.command), channel);
          woke = channel !== undefined;
          simple.forEach((q, i) => outcomes.set(q, list[i]!));
        } catch (err) {
          if (!isPgError(err)) throw err;
          retry = simple;
        }
      } else {
        ({ outcomes, retry, again } = await this.#runWithSavepoints(simple, complex));
      }
    } catch (err) {
      // The connection failed or the commit did: the outcome is unknown, so nothing is retried.
      for (const q of batch) q.reject(err);
      return;
    }
    if ([...outcomes.values()].some((o) => o.ok && o.results.some((r) => !r.duplicate))) {
      this.#options.onCommitted(woke);
    }
    for (const [q, outcome] of outcomes) settle(q, outcome);
    this.#rejectStale(outcomes);
    // Back to the front of the queue: their streams stay busy until this batch is done.
    this.#queue.unshift(...again);
    await Promise.all(retry.map((q) => this.#runAlone(q)));
  }

  async #runWithSavepoints(
    simple: Queued[],
    complex: Queued[],
  ): Promise<{ outcomes: Map<Queued, Outcome>; retry: Queued[]; again: Queued[] }> {
    const streams = [...simple, ...complex].flatMap((q) => q.command.writes.map((w) => w.streamId));
    return await this.#sql.begin(async (tx) => {
      const outcomes = new Map<Queued, Outcome>();
      let retry: Queued[] = [];
      const again: Queued[] = [];
      // Every stream lock before any write: see _sql.ts for why.
      await tx.unsafe(LOCK_STREAMS, [streams], { prepare: true });
      if (simple.length > 0) {
        try {
          const list = await tx.savepoint((sp) =>
            appendStatement(sp, simple.map((q) => q.command))
          );
          simple.forEach((q, i) => outcomes.set(q, list[i]!));
        } catch (err) {
          if (!isPgError(err)) throw err;
          retry = simple;
        }
      }
      for (const q of complex) {
        try {
          const outcome = await tx.savepoint(async (sp: TxSql) => {
            const [result] = await appendStatement(sp, [q.command]);
            if (!result!.ok) throw result!.error;
            const duplicate = result!.results.some((r) => r.duplicate);
            if (q.command.effects && !duplicate) await q.command.effects(sp);
            return result!;
          });
          outcomes.set(q, outcome);
        } catch (err) {
          if ((isTransient(err) || isDuplicateCommand(err)) && q.attempts++ < RETRIES) {
            again.push(q);
          } else {
            outcomes.set(q, { ok: false, error: effectsError(commandError(err)) });
          }
        }
      }
      return { outcomes, retry, again };
    });
  }

  /**
   * A batch just told the version of its streams. A queued command that
   * expects an older version of one of them cannot succeed (versions only
   * grow), so it fails now instead of costing the next batch a conflict: on
   * hot streams most waiting commands are such. A command with a command id
   * still goes to the database, which may hold its first result.
   */
  #rejectStale(outcomes: Map<Queued, Outcome>): void {
    const known = new Map<string, number>();
    for (const outcome of outcomes.values()) {
      if (outcome.ok) {
        for (const r of outcome.results) known.set(r.streamId, r.nextVersion);
      } else if (outcome.error instanceof ConcurrencyError) {
        known.set(outcome.error.streamId, outcome.error.actual);
      }
    }
    if (known.size === 0) return;
    this.#queue = this.#queue.filter((q) => {
      if (q.command.commandId !== null) return true;
      for (const w of q.command.writes) {
        const version = known.get(w.streamId);
        if (version !== undefined && w.expected >= 0 && w.expected < version) {
          q.reject(new ConcurrencyError(w.streamId, w.expectedVersion, version));
          return false;
        }
      }
      return true;
    });
  }

  /** Runs one command in a transaction of its own, after its batch statement failed. */
  async #runAlone(q: Queued): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        const [outcome] = await appendStatement(this.#sql, [q.command]);
        if (outcome!.ok && !outcome!.results[0]!.duplicate) this.#options.onCommitted(false);
        settle(q, outcome!);
        return;
      } catch (err) {
        if (attempt < RETRIES && (isTransient(err) || isDuplicateCommand(err))) continue;
        q.reject(commandError(err));
        return;
      }
    }
  }
}

function keysOf(command: PreparedCommand): string[] {
  const keys = command.writes.map((w) => w.streamId);
  if (command.commandId !== null) keys.push(`command:${command.commandId}`);
  return keys;
}

function settle(q: Queued, outcome: Outcome): void {
  if (outcome.ok) q.resolve(outcome.results);
  else q.reject(outcome.error);
}
