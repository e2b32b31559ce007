import type { Sql } from "@shared/db/connect.ts";
import { UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import type { Position } from "@shared/event_store/mod.ts";
import { parsePosition } from "@shared/event_store/position.ts";
import { type ChangeFollower, followChanges, readCheckpoints } from "./change_feed.ts";

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

/** The token of a position, as mutations return it and X-Consistency-Token carries it. */
export function formatConsistencyToken(position: Position): string {
  return `${position.transactionId}:${position.id}`;
}

function timeoutError(
  projections: string[],
  target: Position,
  timeoutMs: number,
): UnavailableError {
  const token = formatConsistencyToken(target);
  return new UnavailableError(
    `The read model has not caught up with position "${token}" within ${timeoutMs} ms: ${
      projections.join(", ")
    } behind`,
    { projections, consistencyToken: token },
  );
}

function beyondHeadError(target: Position, head: Position | undefined): ValidationError {
  return new ValidationError([{
    field: "X-Consistency-Token",
    message: `"${formatConsistencyToken(target)}" is beyond the event store's last position ${
      head ? `"${formatConsistencyToken(head)}"` : "(the store is empty)"
    }: a token must come from a write's answer`,
  }]);
}

/**
 * Reads the head of the event store: the greatest committed position in the
 * global order, or undefined when the store is empty. Every token a client
 * was given came from a committed write, so it is at or before the head of
 * any later snapshot; a token past it names nothing that exists. One
 * backward step on the (transaction_id, id) index.
 */
export async function readStoreHead(eventStore: Sql): Promise<Position | undefined> {
  const [row] = await eventStore<{ transactionId: string; id: string }[]>`
    SELECT transaction_id::text AS "transactionId", id::text AS id FROM events
    ORDER BY transaction_id DESC, id DESC LIMIT 1`;
  return row ? { transactionId: row.transactionId, id: row.id } : undefined;
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
      throw timeoutError(late, target, options.timeoutMs);
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
   * The read model's URL, to follow the projector's change feed (LISTEN) on
   * a connection of its own, so a wait ends as soon as the batch that
   * reaches its position commits; without it, waits only poll.
   */
  listenUrl?: string;
  /** How often to read the checkpoints while someone waits; default 100 ms when listening, else 5 ms. */
  pollMs?: number;
  /**
   * Reads the event store's head (see {@link readStoreHead}); with it, a
   * token beyond the head is refused at once as VALIDATION instead of being
   * waited for until the timeout. When it fails, the wait goes on.
   */
  head?: () => Promise<Position | undefined>;
  /** How long a head read may take before the wait goes on without it; default 1000 ms. */
  headTimeoutMs?: number;
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
  readonly #listenUrl: string | undefined;
  readonly #head: (() => Promise<Position | undefined>) | undefined;
  readonly #headTimeoutMs: number;
  #knownHead: Position | undefined;
  readonly #waiters = new Set<Waiter>();
  #checkpoints = new Map<string, Position>();
  #feed: ChangeFollower | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(sql: Sql, options: ConsistencyWaiterOptions = {}) {
    this.#sql = sql;
    this.#listenUrl = options.listenUrl;
    this.#pollMs = options.pollMs ?? (this.#listenUrl ? 100 : 5);
    this.#head = options.head;
    this.#headTimeoutMs = options.headTimeoutMs ?? 1000;
  }

  /**
   * Resolves once every named projection has reached `target`; VALIDATION
   * when `target` is beyond the event store's head (with a `head` reader),
   * UNAVAILABLE past the timeout.
   */
  async wait(
    projections: readonly string[],
    target: Position,
    options: WaitOptions,
  ): Promise<void> {
    if (behind(this.#checkpoints, projections, target).length === 0) return;
    if (this.#listenUrl && !this.#feed) this.#startFeed(this.#listenUrl);
    await this.#refresh();
    if (behind(this.#checkpoints, projections, target).length === 0) return;
    await this.#checkHead(target);
    if (options.signal?.aborted || options.timeoutMs <= 0) {
      throw timeoutError(
        behind(this.#checkpoints, projections, target),
        target,
        options.timeoutMs,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () =>
        waiter.settle(timeoutError([...projections], target, options.timeoutMs));
      const timer = setTimeout(() => {
        waiter.settle(
          timeoutError(behind(this.#checkpoints, projections, target), target, options.timeoutMs),
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
    await this.#feed?.stop();
  }

  /** Refuses a target beyond the store's head; a head that cannot be read refuses nothing. */
  async #checkHead(target: Position): Promise<void> {
    if (!this.#head || (this.#knownHead && reached(this.#knownHead, target))) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const head = await Promise.race([
      this.#head().then((head) => ({ head }), () => undefined),
      new Promise<undefined>((
        resolve,
      ) => (timer = setTimeout(() => resolve(undefined), this.#headTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!head) return;
    if (head.head && (!this.#knownHead || reached(head.head, this.#knownHead))) {
      this.#knownHead = head.head;
    }
    if (!head.head || !reached(head.head, target)) throw beyondHeadError(target, head.head);
  }

  #startFeed(url: string): void {
    // While the feed is down, polling still ends every wait.
    this.#feed = followChanges(url, this.#sql, {
      onChange: (notice) => this.#learn(new Map([[notice.projection, notice.position]])),
      onSync: (checkpoints) => this.#learn(checkpoints),
    }, { applicationName: "query-change-feed" });
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
