import type { Sql, TxSql } from "@shared/db/connect.ts";
import {
  type AtOnce,
  CommitRefusedError,
  pipelinedTransaction,
  transactionAtOnce,
} from "@shared/db/transaction.ts";
import type { PreparedCommand } from "./_command.ts";
import { isPgError } from "@shared/db/errors.ts";
import { ConcurrencyError } from "./errors.ts";
import { isSqlEffects } from "./effects.ts";
import {
  appendFolded,
  appendStatement,
  commandError,
  effectsError,
  isDuplicateCommand,
  isTransient,
  type Outcome,
} from "./_statement.ts";
import type { AppendEffects, SqlEffects, StatementEffects, StreamAppendResult } from "./types.ts";

/** A group whose commands did not all go through: it rolls back, and each runs alone. */
class GroupFailed extends Error {
  constructor() {
    super("A command of the group did not go through");
  }
}

/** A command found already handled: its transaction rolls back, and its first result stands. */
class AlreadyHandled extends Error {
  constructor(readonly outcome: Outcome) {
    super("The command was handled before");
  }
}

/** Tuning of the group committer. */
export interface GroupCommitOptions {
  /** Most events one batch transaction carries; default 2000. */
  maxBatchEvents: number;
  /** Batch transactions in flight at once; default 2. */
  maxConcurrentBatches: number;
  /**
   * Commands with effects or several streams one batch carries, together in
   * one transaction (each alone after a failure); default 32.
   */
  maxComplexCommands: number;
  /**
   * Asked before a batch runs alone: a channel when the batch should carry
   * the wake-up NOTIFY in its own statement, else undefined.
   */
  wakeUp: () => string | undefined;
  /**
   * Called after a transaction that appended events committed, with when its
   * batch was sent if it carried the NOTIFY (undefined if it carried none).
   */
  onCommitted: (carriedSince: number | undefined) => void;
}

/** The wake-up a batch carries: its channel, and when the batch was sent. */
interface Wake {
  channel: string;
  sentAt: number;
}

interface Queued {
  command: PreparedCommand;
  resolve: (results: StreamAppendResult[]) => void;
  reject: (err: unknown) => void;
  /** Runs so far that ended in a deadlock or a racing duplicate. */
  attempts: number;
}

/**
 * The longest a grouped transaction's statements wait for a lock before its
 * commands run alone. Not its COMMIT: a commit that sends a notification
 * waits for the notification queue's lock, which another transaction holds
 * through its own commit's flush, and the commands alone would wait the same.
 */
const GROUP_LOCK_TIMEOUT = "50ms";

/**
 * Sets the transaction's lock_timeout now: GROUP_LOCK_TIMEOUT first thing,
 * "0" (none) last, before COMMIT. A failure of it fails the statements after
 * it, which the caller hears.
 */
function lockTimeout(tx: TxSql, value: string): Promise<unknown> {
  const query = tx`SELECT set_config('lock_timeout', ${value}, true)`;
  query.execute();
  query.catch(() => {});
  return query;
}

/** How many times a command runs again after a deadlock or a racing duplicate. */
const RETRIES = 3;

/**
 * Batches concurrent appends of one process into few transactions. A batch
 * holds each stream and each command id at most once. Simple commands share
 * one statement; commands with effects or several streams share another
 * transaction, run beside it, which commits only if all of them go through.
 * Whatever fails a shared statement or transaction is found by running its
 * commands one by one, so a failure undoes only its own command.
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
    let own = 0;
    for (const item of this.#queue) {
      const keys = keysOf(item.command);
      const size = item.command.writes.reduce((n, w) => n + w.events.length, 0);
      const complex = isComplex(item.command);
      const fits = batch.length === 0 ||
        (events + size <= this.#options.maxBatchEvents &&
          (!complex || own < this.#options.maxComplexCommands));
      const clash = keys.some((k) => taken.has(k));
      // A waiting command blocks its streams for the commands behind it, too.
      for (const key of keys) taken.add(key);
      if (!fits || clash) {
        rest.push(item);
        continue;
      }
      batch.push(item);
      events += size;
      if (complex) own++;
    }
    this.#queue = rest;
    return batch;
  }

  async #run(batch: Queued[]): Promise<void> {
    const simple = batch.filter((q) => !isComplex(q.command));
    const complex = batch.filter((q) => isComplex(q.command));
    // One wake-up per batch: the shared statement carries it, else the first own transaction.
    const channel = this.#options.wakeUp();
    const wake = channel === undefined ? undefined : { channel, sentAt: performance.now() };
    const complexWake = simple.length === 0 ? wake : undefined;
    await Promise.all([
      simple.length > 0 ? this.#runShared(simple, wake) : undefined,
      complex.length === 1 ? this.#runOwn(complex[0]!, complexWake) : undefined,
      complex.length > 1 ? this.#runGrouped(complex, complexWake) : undefined,
    ]);
  }

  /**
   * Commands with effects or several streams, together: one transaction, one
   * append statement for them all (it takes every stream's lock first), each
   * command's effects sent right behind it side by side, one COMMIT. It
   * commits only when every command went through. Otherwise (a failed check,
   * a command id handled before, an effect that throws, a deadlock) it rolls
   * back whole, and each command runs again in a transaction of its own
   * (#runOwn), which finds its own outcome. Inside the group a savepoint is a
   * plain block: an effect's error fails the group, and its command's own
   * transaction then runs it with real savepoints.
   */
  async #runGrouped(group: Queued[], wake: Wake | undefined): Promise<void> {
    if (group.every((q) => sendsAtOnce(q.command))) {
      if (await this.#runAtOnce(group, wake)) return;
      await Promise.all(group.map((q) => this.#runOwn(q, undefined)));
      return;
    }
    let failed: unknown; // what the transaction's body threw: it rolled back, nothing committed
    let outcomes: Outcome[];
    try {
      outcomes = await pipelinedTransaction(this.#sql, async (tx: TxSql) => {
        try {
          // A command whose effects wait for a lock must not hold up the others for long: past
          // GROUP_LOCK_TIMEOUT the group fails, and the waiting one waits alone.
          lockTimeout(tx, GROUP_LOCK_TIMEOUT);
          const sent = await appendWithEffects(tx, group.map((q) => q.command), wake?.channel);
          const clean = sent.outcomes.every((o) => o.ok && o.results.every((r) => !r.duplicate));
          if (!clean || sent.effects.some((e) => e.status === "rejected")) throw new GroupFailed();
          lockTimeout(tx, "0");
          return sent.outcomes;
        } catch (err) {
          failed = err;
          throw err;
        }
      }, { plainSavepoints: true });
    } catch (err) {
      if (err !== failed && !(err instanceof CommitRefusedError)) {
        // The connection failed under the commit: the outcome is unknown, so no retry.
        for (const q of group) q.reject(err);
        return;
      }
      await Promise.all(group.map((q) => this.#runOwn(q, undefined)));
      return;
    }
    this.#options.onCommitted(wake?.sentAt);
    this.#settle(new Map(group.map((q, i) => [q, outcomes[i]!])));
  }

  /** Simple commands: one statement, one transaction, one commit flush for all of them. */
  async #runShared(simple: Queued[], wake: Wake | undefined): Promise<void> {
    const outcomes = new Map<Queued, Outcome>();
    let retry: Queued[] = [];
    try {
      const list = await appendStatement(this.#sql, simple.map((q) => q.command), wake?.channel);
      simple.forEach((q, i) => outcomes.set(q, list[i]!));
    } catch (err) {
      if (!isPgError(err)) {
        // The connection failed or the commit did: the outcome is unknown, so nothing is retried.
        for (const q of simple) q.reject(err);
        return;
      }
      retry = simple;
    }
    if ([...outcomes.values()].some((o) => o.ok && o.results.some((r) => !r.duplicate))) {
      this.#options.onCommitted(wake?.sentAt);
    }
    this.#settle(outcomes);
    await Promise.all(retry.map((q) => this.#runAlone(q)));
  }

  /**
   * A command with effects or several streams, in a transaction of its own:
   * its append statement (which takes its streams' locks), then its effects,
   * then COMMIT. The complex commands of a batch run side by side on their
   * own connections rather than one after another under savepoints of one
   * transaction, which made every command of the batch wait for the round
   * trips of all those before it.
   */
  async #runOwn(q: Queued, wake: Wake | undefined): Promise<void> {
    if (folds(q.command) && await this.#runFolded(q, wake)) return;
    if (sendsAtOnce(q.command) && await this.#runAtOnce([q], wake)) return;
    for (;;) {
      let refused: { error: unknown } | undefined;
      let outcome: Outcome;
      try {
        // BEGIN and the effects go out with the append: two round trips fewer. An append
        // refused or found a duplicate rolls the effects back with it.
        outcome = await pipelinedTransaction(this.#sql, async (tx: TxSql) => {
          try {
            const sent = await appendWithEffects(tx, [q.command], wake?.channel);
            const [result] = sent.outcomes as [Outcome];
            const [effect] = sent.effects;
            if (!result.ok) throw result.error;
            if (result.results.some((r) => r.duplicate)) throw new AlreadyHandled(result);
            if (effect?.status === "rejected") throw effect.reason;
            return result;
          } catch (err) {
            refused = { error: err };
            throw err;
          }
        });
      } catch (caught) {
        // A COMMIT the server refused wrote nothing, as a refusal of the body: its error is the
        // command's own.
        const atCommit = caught instanceof CommitRefusedError;
        const err = atCommit ? caught.cause ?? caught : caught;
        if (err instanceof AlreadyHandled) {
          // The command's first run stands; its effects ran then.
          outcome = err.outcome;
        } else if (!atCommit && refused?.error !== err) {
          // The connection failed or the commit did: the outcome is unknown, so no retry.
          q.reject(err);
          return;
        } else if ((isTransient(err) || isDuplicateCommand(err)) && q.attempts++ < RETRIES) {
          continue;
        } else outcome = { ok: false, error: effectsError(commandError(err)) };
      }
      if (outcome.ok && outcome.results.some((r) => !r.duplicate)) {
        this.#options.onCommitted(wake?.sentAt);
      }
      this.#settle(new Map([[q, outcome]]));
      return;
    }
  }

  /**
   * Commands whose effects are statements only (or that have none), in one
   * round trip: BEGIN, one strict append statement for them all, their
   * effects and COMMIT go out together (transactionAtOnce). A failed check,
   * a command id handled before or a refused effect aborts the transaction,
   * and then nothing of it was written: false, and the caller runs the
   * commands again the way that tells each one's outcome. True when the
   * commands are settled: committed, or the outcome unknown (rejected).
   */
  async #runAtOnce(group: Queued[], wake: Wake | undefined): Promise<boolean> {
    let result: AtOnce;
    let appendAt = 0;
    let thrown: { error: unknown } | undefined; // what a command's send() threw
    try {
      result = await transactionAtOnce(this.#sql, (tx) => {
        const sent: Promise<unknown>[] = [];
        if (group.length > 1) sent.push(lockTimeout(tx, GROUP_LOCK_TIMEOUT));
        appendAt = sent.push(appendStatement(
          tx,
          group.map((q) => q.command),
          wake?.channel,
          true,
        )) - 1;
        for (const q of group) {
          try {
            sent.push(...(q.command.effects as StatementEffects | undefined)?.send(tx) ?? []);
          } catch (err) {
            // Undone with the transaction: what was sent before the throw must not fail unheard.
            for (const statement of sent) statement.catch(() => {});
            thrown = { error: err };
            throw err;
          }
        }
        if (group.length > 1) sent.push(lockTimeout(tx, "0"));
        return sent;
      });
    } catch (err) {
      if (thrown?.error === err) {
        // One command's effects failed before COMMIT went out, so nothing was written. Alone,
        // that command fails with its own error; in a group, each runs again on its own.
        if (group.length > 1) return false;
        group[0]!.reject(effectsError(err));
        return true;
      }
      // The connection failed or the commit did: the outcome is unknown, so no retry.
      for (const q of group) q.reject(err);
      return true;
    }
    if (!result.committed) return false;
    const appended = result.settled[appendAt]!;
    if (appended.status === "rejected") {
      for (const q of group) q.reject(appended.reason);
      return true;
    }
    this.#options.onCommitted(wake?.sentAt);
    const outcomes = appended.value as Outcome[];
    this.#settle(new Map(group.map((q, i) => [q, outcomes[i]!])));
    return true;
  }

  /**
   * A lone command on one stream whose effects are statements given as data
   * (SqlEffects): one statement appends and runs them, its own transaction,
   * with no BEGIN or COMMIT to send. When it fails in the server (a refusal,
   * a conflict, a command id handled before, a deadlock), nothing of it was
   * written: false, and the caller runs the command the way that tells its
   * outcome. True when the command is settled: committed, or the outcome
   * unknown (rejected).
   */
  async #runFolded(q: Queued, wake: Wake | undefined): Promise<boolean> {
    let outcome: Outcome;
    try {
      const effects = (q.command.effects as SqlEffects).statements;
      outcome = await appendFolded(this.#sql, q.command, effects, wake?.channel);
    } catch (err) {
      if (isPgError(err)) return false;
      // The connection failed: the outcome is unknown, so no retry.
      q.reject(err);
      return true;
    }
    this.#options.onCommitted(wake?.sentAt);
    this.#settle(new Map([[q, outcome]]));
    return true;
  }

  /** Settles each command with its outcome, then fails the queued ones those outcomes make stale. */
  #settle(outcomes: Map<Queued, Outcome>): void {
    for (const [q, outcome] of outcomes) settle(q, outcome);
    this.#rejectStale(outcomes);
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
        if (outcome!.ok && !outcome!.results[0]!.duplicate) this.#options.onCommitted(undefined);
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

/**
 * Sends the append of `commands` and, right behind it, each one's effects,
 * side by side, without waiting for the append's answer; then waits for all
 * of them. Every effect has settled when this returns or throws, so none of
 * their statements can follow a ROLLBACK. Throws the append's error when the
 * statement itself failed (the effects then fail only because of it), and an
 * effect's error when that failed first: an append that could not write a
 * stream reads the stream's version after its effects went out, and that
 * read fails only because the transaction is already aborted.
 */
async function appendWithEffects(
  tx: TxSql,
  commands: PreparedCommand[],
  channel: string | undefined,
): Promise<{ outcomes: Outcome[]; effects: PromiseSettledResult<void>[] }> {
  const appended = appendStatement(tx, commands, channel);
  appended.catch(() => {}); // awaited below, once the effects have settled
  const effects = await Promise.allSettled(commands.map((c) => runEffects(c.effects, tx)));
  try {
    return { outcomes: await appended, effects };
  } catch (err) {
    const failed = effects.find((e): e is PromiseRejectedResult => e.status === "rejected");
    if (failed && isPgError(err) && err.code === IN_FAILED_TRANSACTION) throw failed.reason;
    throw err;
  }
}

/** SQLSTATE of a statement sent after another of its transaction failed. */
const IN_FAILED_TRANSACTION = "25P02";

async function runEffects(effects: AppendEffects | undefined, tx: TxSql): Promise<void> {
  if (typeof effects === "function") await effects(tx);
  else if (effects) await Promise.all(effects.send(tx));
}

/** A command whose whole transaction can go out at once: its effects, if any, are statements. */
function sendsAtOnce(command: PreparedCommand): boolean {
  return command.effects === undefined || typeof command.effects !== "function";
}

/** A command on one stream whose effects can go into its append statement. */
function folds(command: PreparedCommand): boolean {
  return command.writes.length === 1 && isSqlEffects(command.effects);
}

/** A command with effects or several streams: it needs a transaction of its own. */
function isComplex(command: PreparedCommand): boolean {
  return command.effects !== undefined || command.writes.length > 1;
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
