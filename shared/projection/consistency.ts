import type { Sql } from "@shared/db/connect.ts";
import { UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import type { Position } from "@shared/event_store/mod.ts";
import { parsePosition } from "@shared/event_store/position.ts";
import { followChanges, readCheckpoints } from "./change_feed.ts";

/** Parses a consistency token (`<transactionId>:<position>`, as mutations return it). */
export function parseConsistencyToken(token: string): Position {
  const position = parsePosition(token.trim());
  if (!position) {
    throw new ValidationError([{
      field: "X-Consistency-Token",
      message: `"${
        token.slice(0, 50).replace(/[^\x20-\x7e]/g, "?")
      }" is not a consistency token: expected "<transaction>:<position>" of two whole numbers up to 9223372036854775807`,
    }]);
  }
  return position;
}

/** Whether `a` is at or past `b` in the global order. */
export function reached(a: Position, b: Position): boolean {
  const ax = BigInt(a.transactionId), bx = BigInt(b.transactionId);
  return ax > bx || (ax === bx && BigInt(a.id) >= BigInt(b.id));
}

/** Options of one wait. */
export interface WaitOptions {
  /** Give up after this long with UNAVAILABLE. */
  timeoutMs: number;
  /** Give up when the caller does (its call was cancelled or its deadline passed). */
  signal?: AbortSignal | undefined;
}

function behind(
  checkpoints: ReadonlyMap<string, Position>,
  projections: readonly string[],
  target: Position,
): string[] {
  return projections.filter((p) => {
    const at = checkpoints.get(p);
    return !at || !reached(at, target);
  });
}

function timeoutError(projections: string[], timeoutMs: number): UnavailableError {
  return new UnavailableError(
    `The read model has not caught up with the requested position within ${timeoutMs} ms: ${
      projections.join(", ")
    } behind`,
    { projections },
  );
}

/**
 * Waits until every named projection's checkpoint has reached `target`
 * (read-your-writes), polling with a short back-off. Past `timeoutMs` it
 * raises UNAVAILABLE, naming the projections that are behind. A service
 * that waits often should share one {@link ConsistencyWaiter} instead.
 */
export async function waitForProjections(
  sql: Sql,
  projections: readonly string[],
  target: Position,
  options: WaitOptions,
): Promise<void> {
  const until = Date.now() + options.timeoutMs;
  let delay = 2;
  for (;;) {
    const late = behind(await readCheckpoints(sql), projections, target);
    if (late.length === 0) return;
    if (Date.now() + delay > until || options.signal?.aborted) {
      throw timeoutError(late, options.timeoutMs);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 25);
  }
}

interface Waiter {
  projections: readonly string[];
  target: Position;
  timeoutMs: number;
  settle(error?: Error): void;
}

/** Options of a {@link ConsistencyWaiter}. */
export interface ConsistencyWaiterOptions {
  /**
   * Follow the projector's change feed (LISTEN), so a wait ends as soon as
   * the batch that reaches its position commits; default true.
   */
  listen?: boolean;
  /** How often to read the checkpoints while someone waits; default 100 ms when listening, else 5 ms. */
  pollMs?: number;
}

/**
 * Read-your-writes for a whole service. It learns checkpoints from the
 * projector's change feed as batches commit, and while anyone waits it also
 * polls the checkpoints table (one query for every waiter at once), so a
 * lost notification only delays. A call whose position is already known to
 * be reached costs no query at all.
 */
export class ConsistencyWaiter {
  readonly #sql: Sql;
  readonly #pollMs: number;
  readonly #listen: boolean;
  readonly #waiters = new Set<Waiter>();
  #checkpoints = new Map<string, Position>();
  #feed: Promise<{ stop(): Promise<void> }> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(sql: Sql, options: ConsistencyWaiterOptions = {}) {
    this.#sql = sql;
    this.#listen = options.listen ?? true;
    this.#pollMs = options.pollMs ?? (this.#listen ? 100 : 5);
  }

  /** Resolves once every named projection has reached `target`; UNAVAILABLE past the timeout. */
  async wait(
    projections: readonly string[],
    target: Position,
    options: WaitOptions,
  ): Promise<void> {
    if (behind(this.#checkpoints, projections, target).length === 0) return;
    if (this.#listen && !this.#feed) this.#startFeed();
    await this.#refresh();
    if (behind(this.#checkpoints, projections, target).length === 0) return;
    if (options.signal?.aborted || options.timeoutMs <= 0) {
      throw timeoutError(behind(this.#checkpoints, projections, target), options.timeoutMs);
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.settle(timeoutError([...projections], options.timeoutMs));
      const timer = setTimeout(() => {
        waiter.settle(
          timeoutError(behind(this.#checkpoints, projections, target), options.timeoutMs),
        );
      }, options.timeoutMs);
      const waiter: Waiter = {
        projections,
        target,
        timeoutMs: options.timeoutMs,
        settle: (error) => {
          if (!this.#waiters.delete(waiter)) return;
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          if (error) reject(error);
          else resolve();
        },
      };
      this.#waiters.add(waiter);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#schedulePoll();
    });
  }

  /**
   * Resolves once every named projection has reached the newest checkpoint
   * among them, read afresh: a query that reads several projections then
   * sees, in each, at least every event that any of them had applied when
   * it was called. UNAVAILABLE past the timeout, as {@link wait}.
   */
  async align(projections: readonly string[], options: WaitOptions): Promise<void> {
    await this.#refresh();
    let newest: Position | undefined;
    for (const name of projections) {
      const at = this.#checkpoints.get(name);
      if (at && (!newest || !reached(newest, at))) newest = at;
    }
    if (newest) await this.wait(projections, newest, options);
  }

  /** Stops following the feed and polling; pending waits fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const waiter of [...this.#waiters]) {
      waiter.settle(new UnavailableError("The query service is shutting down"));
    }
    const feed = await this.#feed?.catch(() => undefined);
    await feed?.stop();
  }

  #startFeed(): void {
    this.#feed = followChanges(this.#sql, {
      onChange: (notice) => this.#learn(new Map([[notice.projection, notice.position]])),
      onSync: (checkpoints) => this.#learn(checkpoints),
    });
    // Without the feed, polling still ends every wait.
    this.#feed.catch(() => {});
  }

  async #refresh(): Promise<void> {
    this.#learn(await readCheckpoints(this.#sql));
  }

  #learn(checkpoints: Map<string, Position>): void {
    for (const [name, position] of checkpoints) this.#checkpoints.set(name, position);
    for (const waiter of [...this.#waiters]) {
      if (behind(this.#checkpoints, waiter.projections, waiter.target).length === 0) {
        waiter.settle();
      }
    }
  }

  #schedulePoll(): void {
    if (this.#timer !== undefined || this.#closed || this.#waiters.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#refresh().catch(() => {}).finally(() => {
        this.#timer = undefined;
        this.#schedulePoll();
      });
    }, this.#pollMs);
  }
}
