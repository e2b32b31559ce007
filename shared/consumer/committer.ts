import type { Sql, TxSql } from "@shared/db/connect.ts";
import { CommitRefusedError, pipelinedTransaction } from "@shared/db/transaction.ts";
import type { Position } from "@shared/event_store/mod.ts";
import type { CheckpointTable } from "./checkpoint.ts";
import { Lease, type LeaseSession } from "./lease.ts";
import type { Notice } from "./types.ts";

/**
 * One consumer's batch as a transaction commits it: fenced by the
 * consumer's lease, the handler's writes, then the checkpoint past the
 * batch and the batch's notices.
 */
export interface Batch {
  /** The consumer's lease; its name keys the consumer's checkpoint. */
  lease: Lease;
  /** Where the consumer's checkpoint lives. */
  checkpoints: CheckpointTable;
  /** The checkpoint past the batch. */
  position: Position;
  /** The handler's writes, their statements awaited. */
  apply(tx: TxSql): Promise<void>;
  /** The notices to send once applied. */
  notices(): readonly Notice[];
}

/**
 * Sends `notices` in one statement, in their order (PostgreSQL delivers a
 * transaction's notifications at its commit, in the order sent).
 */
export async function sendNotices(tx: TxSql, notices: readonly Notice[]): Promise<void> {
  if (notices.length === 0) return;
  await tx`
    SELECT pg_notify(n.channel, n.payload)
    FROM unnest(${notices.map((n) => n.channel)}::text[], ${notices.map((n) => n.payload)}::text[])
      WITH ORDINALITY AS n(channel, payload, i)
    ORDER BY n.i`;
}

/** A batch transaction known to have written nothing (it rolled back). */
class RolledBack extends Error {
  constructor(override readonly cause: unknown) {
    super("The batch transaction was rolled back");
  }
}

/**
 * Commits `batches` in one pipelined transaction on a connection of `sql`
 * (see pipelinedTransaction), in as few statements as their number allows:
 * one fence for every lease, sent with BEGIN; the handlers' writes, side by
 * side; one checkpoint write per table; one statement of notices; COMMIT.
 * The fence's answer is in before the checkpoint is sent, so a lost lease
 * never reaches COMMIT. Throws the first failure; one that left nothing
 * written (a handler threw, a lease was lost, a statement failed and COMMIT
 * rolled back, the server refused COMMIT) comes wrapped in {@link RolledBack}.
 * A failure of COMMIT itself (the connection lost) leaves the outcome
 * unknown: thrown as is.
 */
async function inTransaction(sql: Sql, batches: readonly Batch[]): Promise<void> {
  const sent: Promise<unknown>[] = [];
  const send = (query: Promise<unknown>) => {
    query.catch(() => {});
    sent.push(query);
    return query;
  };
  try {
    await pipelinedTransaction(sql, async (tx) => {
      try {
        const fenced = send(Lease.fenceAll(tx, batches.map((b) => b.lease)));
        // The handlers write side by side: each consumer's tables are its own, each handler's
        // statements keep their order, and the statements of all go out together, so a
        // transaction takes as many round trips as its longest handler, not their sum. All
        // are awaited before a failure goes on, so none sends a statement after ROLLBACK: a
        // handler that throws as it is called, before its first await, is awaited as one that
        // rejects.
        const applied = await Promise.allSettled(batches.map(async (b) => await b.apply(tx)));
        const failure = applied.find((r) => r.status === "rejected");
        if (failure) throw failure.reason;
        await fenced;
        // A consumer has one batch in a transaction: one checkpoint row each, per table.
        for (const [table, group] of Map.groupBy(batches, (b) => b.checkpoints)) {
          send(
            table.writeAll(tx, group.map((b) => ({ name: b.lease.name, position: b.position }))),
          );
        }
        send(sendNotices(tx, batches.flatMap((b) => b.notices())));
      } catch (err) {
        throw new RolledBack(err);
      }
    });
  } catch (err) {
    if (err instanceof RolledBack) throw err;
    // The server refused COMMIT (a deferred check, say): rolled back, so nothing was written.
    if (err instanceof CommitRefusedError) throw new RolledBack(err.cause ?? err);
    const failed = await Promise.all(sent).then(() => undefined, (e: unknown) => e);
    throw failed === undefined ? err : new RolledBack(failed);
  }
}

/** The error a batch's own transaction ended with, as its consumer should see it. */
function unwrap(err: unknown): unknown {
  return err instanceof RolledBack ? err.cause : err;
}

interface Queued {
  batch: Batch;
  /** Undoes what the batch's handler did outside the database, before it runs again alone. */
  reset: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Commits the batches of several consumers that share one lease session
 * (the projections of a projector replica) together: batches submitted
 * while a transaction runs, or in the same turn of the event loop, go into
 * the next transaction, each fenced by its own lease and with its own
 * checkpoint. One transaction then carries what took one per consumer
 * (BEGIN, COMMIT, a commit record and round trips), with one statement
 * each for the fences, the checkpoints and the notices of them all, and
 * the handlers' writes sent side by side. When the shared transaction
 * fails before its COMMIT (a handler threw, a lease was lost),
 * nothing of it was written, and each batch runs again alone, so that a
 * failure is its own consumer's only. When the COMMIT's outcome is unknown
 * (the connection dropped), every batch of it gets the error, and each
 * consumer reads its checkpoint again, as after any failed commit.
 */
export class BatchCommitter {
  /** The lease session the consumers share: their leases live on it and fence their batches. */
  readonly session: LeaseSession;
  #queue: Queued[] = [];
  #draining = false;

  constructor(session: LeaseSession) {
    this.session = session;
  }

  /** Runs `batch` in a transaction, shared with other consumers' batches when some are due. */
  commit(batch: Batch, reset: () => void = () => {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, reset, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // The consumers woken by one notice read the same page and submit in the same turn.
      setTimeout(() => void this.#drain(), 0);
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        await this.#run(group);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #run(group: Queued[]): Promise<void> {
    try {
      await this.session.whileCurrent(inTransaction(this.session, group.map((q) => q.batch)));
      for (const q of group) q.resolve();
      return;
    } catch (err) {
      if (!(err instanceof RolledBack) || group.length === 1) {
        for (const q of group) q.reject(unwrap(err));
        return;
      }
    }
    for (const q of group) {
      try {
        q.reset();
        await this.session.whileCurrent(inTransaction(this.session, [q.batch]));
        q.resolve();
      } catch (err) {
        q.reject(unwrap(err));
      }
    }
  }
}

/** Runs one batch in a transaction of its own on `sql` (no committer shared). */
export async function commitAlone(sql: LeaseSession, batch: Batch): Promise<void> {
  try {
    await sql.whileCurrent(inTransaction(sql, [batch]));
  } catch (err) {
    throw unwrap(err);
  }
}
