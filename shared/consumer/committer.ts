import type { Sql, TxSql } from "@shared/db/connect.ts";
import { pipelinedTransaction } from "@shared/db/transaction.ts";

/**
 * Sends a statement inside a batch transaction without waiting for its
 * answer; its failure fails the transaction, and is thrown at COMMIT.
 */
export type Send = <T>(query: Promise<T>) => Promise<T>;

/**
 * What one consumer's batch does inside a transaction: everything between
 * BEGIN and COMMIT (its fence, its writes, its checkpoint, its notices).
 */
export type BatchBody = (tx: TxSql, send: Send) => Promise<void>;

/** A batch transaction known to have written nothing (it rolled back). */
class RolledBack extends Error {
  constructor(override readonly cause: unknown) {
    super("The batch transaction was rolled back");
  }
}

/**
 * Runs `bodies` one after the other in one pipelined transaction on a
 * connection of `sql` (see pipelinedTransaction); statements sent with
 * `send` are answered only at COMMIT. Throws the first failure; one that
 * left nothing written (a body threw, or a statement failed and COMMIT
 * rolled back) comes wrapped in {@link RolledBack}. A failure of COMMIT
 * itself (the connection lost) leaves the outcome unknown: thrown as is.
 */
async function inTransaction(sql: Sql, bodies: readonly BatchBody[]): Promise<void> {
  const sent: Promise<unknown>[] = [];
  const send: Send = (query) => {
    query.catch(() => {});
    sent.push(query);
    return query;
  };
  try {
    await pipelinedTransaction(sql, async (tx) => {
      try {
        for (const body of bodies) await body(tx, send);
      } catch (err) {
        throw new RolledBack(err);
      }
    });
  } catch (err) {
    if (err instanceof RolledBack) throw err;
    const failed = await Promise.all(sent).then(() => undefined, (e: unknown) => e);
    throw failed === undefined ? err : new RolledBack(failed);
  }
}

/** The error a batch's own transaction ended with, as its consumer should see it. */
function unwrap(err: unknown): unknown {
  return err instanceof RolledBack ? err.cause : err;
}

interface Queued {
  body: BatchBody;
  /** Undoes what the body did outside the database, before it runs again alone. */
  reset: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Commits the batches of several consumers that share one lease session
 * (the projections of a projector replica) together: batches submitted
 * while a transaction runs, or in the same turn of the event loop, go into
 * the next transaction, one after the other, each with its own fence and
 * checkpoint. One transaction then carries what took one per consumer
 * (BEGIN, COMMIT, a commit record and a round trip each). When the shared
 * transaction fails before its COMMIT (a handler threw, a lease was lost),
 * nothing of it was written, and each batch runs again alone, so that a
 * failure is its own consumer's only. When the COMMIT's outcome is unknown
 * (the connection dropped), every batch of it gets the error, and each
 * consumer reads its checkpoint again, as after any failed commit.
 */
export class BatchCommitter {
  /** The lease session the consumers share: their leases live on it and fence their batches. */
  readonly session: Sql;
  #queue: Queued[] = [];
  #draining = false;

  constructor(session: Sql) {
    this.session = session;
  }

  /** Runs `body` in a transaction, shared with other consumers' batches when some are due. */
  commit(body: BatchBody, reset: () => void = () => {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ body, reset, resolve, reject });
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
      await inTransaction(this.session, group.map((q) => q.body));
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
        await inTransaction(this.session, [q.body]);
        q.resolve();
      } catch (err) {
        q.reject(unwrap(err));
      }
    }
  }
}

/** Runs one batch in a transaction of its own on `sql` (no committer shared). */
export async function commitAlone(sql: Sql, body: BatchBody): Promise<void> {
  try {
    await inTransaction(sql, [body]);
  } catch (err) {
    throw unwrap(err);
  }
}
