import type { SagaCommand } from "@shared/domain/order_saga/mod.ts";
import { AppError } from "@shared/errors/mod.ts";
import type { EventMetadata } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";

/**
 * Codes of a command refused by a rule: sending it again would be refused
 * again. Anything else (UNAVAILABLE, a passed deadline, CONFLICT, INTERNAL)
 * is a failure to retry; so is a refused identity (UNAUTHENTICATED,
 * FORBIDDEN), which is a fault of the deployment's settings, not of the
 * order: failing the saga for it would cancel every order until an operator
 * fixed the secret.
 */
const REFUSALS = new Set(["VALIDATION", "NOT_FOUND", "PRECONDITION"]);

/** Codes of a call whose token the command service refuses. */
const IDENTITY_REFUSALS = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);

/** Whether the command service refused the saga's identity (its token or its rights). */
export function isIdentityRefusal(err: unknown): err is AppError {
  return err instanceof AppError && IDENTITY_REFUSALS.has(err.code);
}

/** Whether an error is a refusal (reported to the saga) rather than a failure to retry. */
export function isRefusal(err: unknown): err is AppError {
  return err instanceof AppError && REFUSALS.has(err.code);
}

/** Options of a {@link Dispatcher}. */
export interface DispatcherOptions {
  /** Sends one command to the command service; rejects with the AppError it answered. */
  send(command: SagaCommand, metadata: EventMetadata): Promise<void>;
  logger: Logger;
  /** First retry delay after a failure (doubles each time, with jitter). */
  retryBaseMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
  /**
   * Most commands sent at once; the others wait their turn, in order, and
   * a command waiting for a retry holds no turn. Without a bound, a burst of
   * orders (or the resumption of thousands of unfinished sagas) sent every
   * step at once: the command service queued them past their deadlines,
   * every retry came back at once, and the worker never caught up.
   */
  maxSending: number;
  /** Reports a refused command to its saga (as SagaCommandRejected). */
  onRefused(orderId: string, command: SagaCommand, reason: string): Promise<void>;
  /** Whether the saga still waits for this command; checked before every retry. */
  isPending(orderId: string, commandId: string): Promise<boolean>;
}

/** A command waiting for its turn: older sagas first, then in the order they came. */
interface Waiting {
  priority: number;
  seq: number;
  go(): void;
}

/** Where an order's commands are in this dispatcher, for the saga's step timeouts. */
export type Held =
  /** At least one of them waits for its first turn to be sent. */
  | { queued: true }
  /**
   * Each was sent at least once; `sentAt` (ms) is the latest first send.
   * Retries do not move it: a step whose calls keep failing still times out.
   */
  | { queued: false; sentAt: number };

/**
 * Sends the saga's commands to the command service over gRPC, each under
 * its deterministic id, in the background. A refusal goes back to the saga;
 * any other failure (the command service unreachable or past its deadline,
 * a payment gateway that did not answer, the database) is retried with
 * exponential backoff for as long as the saga still waits for the command:
 * compensations until they succeed, forward steps until their timeout moves
 * the saga on. A retry sends the same id, so the step takes effect once.
 * At most `maxSending` calls are out at a time; waiting commands go out
 * oldest saga first, so that a burst of orders finishes order by order
 * instead of every saga waiting behind the first steps of all the others.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #running = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #sleeps = new Set<() => void>();
  /** Commands waiting for a turn to send: a heap, lowest priority, then seq, first. */
  readonly #queue: Waiting[] = [];
  #seq = 0;
  /**
   * By order: its commands waiting for their first turn, and its latest
   * first send; kept until {@link forget}, so that a step whose command is
   * done but whose event the saga has not seen yet still counts from its send.
   */
  readonly #orders = new Map<string, { queued: number; sentAt: number }>();
  #sending = 0;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** Commands running or waiting for a retry. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Commands being sent now (at most `maxSending`). */
  get sending(): number {
    return this.#sending;
  }

  /**
   * Sends commands; one already running in this process is not sent twice.
   * `priority` orders the commands waiting for a turn, lowest first: the
   * runner gives the time its saga started.
   */
  send(
    orderId: string,
    commands: readonly SagaCommand[],
    metadata: EventMetadata,
    priority = 0,
  ): void {
    for (const command of commands) {
      if (this.#stopped || this.#running.has(command.commandId)) continue;
      this.#running.add(command.commandId);
      if (!this.#orders.has(orderId)) this.#orders.set(orderId, { queued: 0, sentAt: 0 });
      const task: Promise<void> = this.#run(orderId, command, metadata, priority)
        .catch((err) => this.#options.logger.error("saga command abandoned", { error: err }))
        .finally(() => {
          this.#running.delete(command.commandId);
          this.#tasks.delete(task);
        });
      this.#tasks.add(task);
    }
  }

  /**
   * Where an order's commands are: one waiting for its first turn, or all
   * sent at least once (and when); undefined when none was given to this
   * dispatcher since it last forgot the order.
   */
  held(orderId: string): Held | undefined {
    const order = this.#orders.get(orderId);
    if (!order) return undefined;
    return order.queued > 0 ? { queued: true } : { queued: false, sentAt: order.sentAt };
  }

  /** Forgets an order whose saga is over. */
  forget(orderId: string): void {
    this.#orders.delete(orderId);
  }

  /** Sends nothing more, cancels waiting retries and waits for the commands in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#sleeps) wake();
    for (const waiting of this.#queue.splice(0)) {
      this.#sending++; // each woken command ends its turn (#done) without sending
      waiting.go();
    }
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #run(
    orderId: string,
    sent: SagaCommand,
    metadata: EventMetadata,
    priority: number,
  ): Promise<void> {
    const { logger } = this.#options;
    const log = logger.child({ orderId, command: sent.command.type, commandId: sent.commandId });
    for (let attempt = 0; !this.#stopped; attempt++) {
      if (attempt > 0) {
        await this.#sleep(this.#backoff(attempt));
        if (this.#stopped || !(await this.#stillPending(orderId, sent.commandId))) return;
      }
      let err: unknown;
      await this.#turn(orderId, priority, attempt === 0);
      try {
        if (this.#stopped) return;
        await this.#options.send(sent, metadata);
        return;
      } catch (caught) {
        err = caught;
      } finally {
        this.#done();
      }
      if (isIdentityRefusal(err)) {
        log.error(
          "the command service refuses the saga's token; retrying. Give the saga worker the " +
            "command service's JWT_SECRET (and JWT_ISSUER, JWT_AUDIENCE)",
          { attempt: attempt + 1, error: err },
        );
        continue;
      }
      if (!isRefusal(err)) {
        log.warn("saga command failed; retrying", { attempt: attempt + 1, error: err });
        continue;
      }
      log.info("saga command refused", { reason: err.message });
      try {
        await this.#options.onRefused(orderId, sent, err.message);
        return;
      } catch (reportErr) {
        log.warn("cannot report a refused command; retrying", { error: reportErr });
      }
    }
  }

  /**
   * Waits for a turn to send: at once while fewer than `maxSending` are out.
   * A command's `first` send is recorded for {@link held}.
   */
  async #turn(orderId: string, priority: number, first: boolean): Promise<void> {
    // An order forgotten meanwhile (its saga is over) is not tracked again.
    const order = this.#orders.get(orderId) ?? { queued: 0, sentAt: 0 };
    if (this.#stopped || this.#sending < this.#options.maxSending) {
      this.#sending++;
    } else {
      // The turn passes from the command that finishes (see #done), so the count stays.
      if (first) order.queued++;
      await new Promise<void>((go) => push(this.#queue, { priority, seq: this.#seq++, go }));
      if (first) order.queued--;
    }
    if (first) order.sentAt = Date.now();
  }

  /** Ends a send: its turn goes to the first command waiting, if any. */
  #done(): void {
    const next = pop(this.#queue);
    if (next) next.go();
    else this.#sending--;
  }

  async #stillPending(orderId: string, commandId: string): Promise<boolean> {
    try {
      return await this.#options.isPending(orderId, commandId);
    } catch {
      return true;
    }
  }

  #backoff(attempt: number): number {
    const { retryBaseMs, retryMaxMs } = this.#options;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    return ceiling * (0.5 + Math.random() / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleeps.add(wake);
    });
  }
}

function before(a: Waiting, b: Waiting): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}

/** Adds to a binary heap ordered by {@link before}. */
function push(heap: Waiting[], item: Waiting): void {
  let i = heap.push(item) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

/** Takes the first item of a binary heap ordered by {@link before}. */
function pop(heap: Waiting[]): Waiting | undefined {
  const first = heap[0];
  const last = heap.pop();
  if (first === undefined || last === undefined || heap.length === 0) return first;
  heap[0] = last;
  for (let i = 0;;) {
    const [l, r] = [2 * i + 1, 2 * i + 2];
    let least = i;
    if (l < heap.length && before(heap[l]!, heap[least]!)) least = l;
    if (r < heap.length && before(heap[r]!, heap[least]!)) least = r;
    if (least === i) return first;
    [heap[i], heap[least]] = [heap[least]!, heap[i]!];
    i = least;
  }
}
