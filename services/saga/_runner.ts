import {
  decide,
  nextDeadline,
  ORDER_SAGA,
  type OrderSagaState,
  pendingCommands,
  type SagaCommand,
  type SagaDecision,
  sagaIdFor,
  type SagaInput,
  type SagaOptions,
} from "@shared/domain/order_saga/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { AppError } from "@shared/errors/mod.ts";
import {
  ConcurrencyError,
  type EventMetadata,
  type RecordedEvent,
} from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { countSaga } from "@shared/observability/mod.ts";
import { load, sagas } from "@shared/application/aggregates.ts";
import type { SagaDeps } from "./_deps.ts";
import { Dispatcher } from "./_dispatcher.ts";
import { KeyedLock } from "@shared/runtime/keyed_lock.ts";
import { metadataOf, observe } from "./_observe.ts";
import { type InstanceRow, instanceRow } from "./_tables.ts";

/** Marks the saga events this worker records (others come from the startOrderSaga mutation). */
export const PROCESS_MANAGER = "order-saga";
const CONFLICT_ATTEMPTS = 20;

/** Options of a {@link SagaRunner}. */
export interface RunnerOptions {
  deps: SagaDeps;
  sagaOptions: SagaOptions;
  logger: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Most step commands sent at once (see Dispatcher). */
  commandsAtOnce: number;
  /** Records sagas decided outside a batch in `saga_instances`. */
  save(rows: InstanceRow[]): Promise<void>;
}

/** An unfinished saga this process looks after: its order and next deadline (ms). */
interface Tracked {
  orderId: string;
  deadline: number | null;
  /** When the saga started, and when its own timeout passes (ms). */
  startedAt: number;
  sagaDeadline: number;
  stepTimeoutMs: number;
}

/**
 * Feeds inputs to the saga decider of an order, one at a time per saga:
 * loads the saga stream, decides, appends the saga's events at the loaded
 * version, then sends the decided commands. Keeps the unfinished sagas it
 * has seen with their deadlines, for the timer; the first time it sees an
 * unfinished saga (after a start or a crash) it sends all of the saga's
 * pending commands again, which their deterministic ids make harmless.
 */
export class SagaRunner {
  readonly #options: RunnerOptions;
  readonly #locks = new KeyedLock();
  readonly #tracked = new Map<string, Tracked>();
  readonly #dirty = new Map<string, InstanceRow>();
  readonly #checking = new Set<string>();
  readonly #background = new Set<Promise<void>>();
  readonly #dispatcher: Dispatcher;
  #stopped = false;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#dispatcher = new Dispatcher({
      send: (command, metadata) => options.deps.commands.send(command, metadata),
      logger: options.logger,
      retryBaseMs: options.retryBaseMs,
      retryMaxMs: options.retryMaxMs,
      maxSending: options.commandsAtOnce,
      onRefused: (orderId, command, reason) =>
        this.handleNow(orderId, {
          type: "SagaCommandRejected",
          orderId,
          commandId: command.commandId,
          reason,
          at: options.deps.now(),
        }),
      isPending: async (orderId, commandId) => {
        const { state } = await load(options.deps, sagas, sagaIdFor(orderId));
        return pendingCommands(state).some((c) => c.commandId === commandId);
      },
    });
  }

  /** Unfinished sagas this process looks after. */
  get running(): number {
    return this.#tracked.size;
  }

  /** Commands running or waiting for a retry. */
  get commandsInFlight(): number {
    return this.#dispatcher.inFlight;
  }

  /**
   * Decides one input of an order's saga (null: only look at the saga) and
   * sends what it decided. Its `saga_instances` row waits for {@link takeDirty}.
   */
  async handle(orderId: string, input: SagaInput | null, event?: RecordedEvent): Promise<void> {
    const sagaId = sagaIdFor(orderId);
    const { send, metadata } = await this.#locks.run(
      sagaId,
      () => this.#decide(sagaId, orderId, input, event),
    );
    const startedAt = this.#tracked.get(sagaId)?.startedAt ?? 0;
    if (send.length > 0) this.#dispatcher.send(orderId, send, metadata, startedAt);
  }

  /** {@link handle}, then records the saga's row at once. */
  async handleNow(orderId: string, input: SagaInput | null): Promise<void> {
    await this.handle(orderId, input);
    await this.flush();
  }

  /** Records the rows of sagas decided since the last call. */
  async flush(): Promise<void> {
    const rows = this.takeDirty();
    try {
      await this.#options.save(rows);
    } catch (err) {
      this.returnDirty(rows);
      throw err;
    }
  }

  /** The `saga_instances` rows changed since the last call. */
  takeDirty(): InstanceRow[] {
    const rows = [...this.#dirty.values()];
    this.#dirty.clear();
    return rows;
  }

  /** Puts back rows that could not be written. */
  returnDirty(rows: InstanceRow[]): void {
    for (const row of rows) this.#markDirty(row);
  }

  /**
   * Sends CheckSagaTimeout to every saga whose deadline has passed. A step's
   * timeout counts from when its command first left this process (retries do
   * not restart it): while it waits here for its first turn (a burst of
   * orders), its step has not timed out, unless the saga's own timeout has
   * passed.
   */
  tick(now = Date.now()): void {
    if (this.#stopped) return;
    for (const [sagaId, tracked] of this.#tracked) {
      if (tracked.deadline === null || tracked.deadline > now || this.#checking.has(sagaId)) {
        continue;
      }
      const held = this.#dispatcher.held(tracked.orderId);
      if (
        held && now < tracked.sagaDeadline &&
        (held.queued || held.sentAt + tracked.stepTimeoutMs > now)
      ) {
        continue;
      }
      this.#checking.add(sagaId);
      const { orderId } = tracked;
      const at = new Date(now).toISOString();
      const task: Promise<void> = this.handleNow(orderId, { type: "CheckSagaTimeout", orderId, at })
        .catch((err) => this.#options.logger.warn("timeout check failed", { orderId, error: err }))
        .finally(() => {
          this.#checking.delete(sagaId);
          this.#background.delete(task);
        });
      this.#background.add(task);
    }
  }

  /** Stops the timer and sending, and waits for the commands and checks in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#dispatcher.stop();
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  async #decide(
    sagaId: string,
    orderId: string,
    input: SagaInput | null,
    event: RecordedEvent | undefined,
  ): Promise<{ send: SagaCommand[]; metadata: EventMetadata }> {
    const { store } = this.#options.deps;
    const metadata = metadataOf(orderId, event);
    for (let attempt = 1;; attempt++) {
      const loaded = await load(this.#options.deps, sagas, sagaId);
      const decision = this.#decideOn(input, loaded.state);
      if (decision.events.length === 0) {
        if (input === null && event && event.metadata.processManager !== PROCESS_MANAGER) {
          countSaga("order", "started"); // started by the startOrderSaga mutation
        }
        return { send: this.#settle(loaded.state, loaded.version, false, []), metadata };
      }
      const events = decision.events.map((e) => ({
        type: e.type,
        data: e.data as unknown as Record<string, unknown>,
        eventId: crypto.randomUUID(),
      }));
      try {
        const result = await store.append(sagaId, events, {
          aggregateType: ORDER_SAGA,
          expectedVersion: loaded.version === 0 ? "no_stream" : loaded.version,
          metadata: { ...metadata, processManager: PROCESS_MANAGER },
          ...(event ? { commandId: deriveId("order-saga-input", sagaId, event.eventId) } : {}),
        });
        // Recorded before a crash: decide again on the state that includes it.
        if (result.duplicate && attempt < CONFLICT_ATTEMPTS) continue;
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < CONFLICT_ATTEMPTS) continue;
        throw err;
      }
      const state = observe(loaded.state, decision.events);
      const send = this.#settle(state, loaded.version + events.length, true, decision.commands);
      return { send, metadata: { ...metadata, causationId: events.at(-1)!.eventId } };
    }
  }

  #decideOn(input: SagaInput | null, state: OrderSagaState | null): SagaDecision {
    if (!input) return { events: [], commands: [] };
    try {
      return decide(input, state, this.#options.sagaOptions);
    } catch (err) {
      // Only StartOrderSaga refuses, and the worker never sends it: log, never block the stream.
      if (!(err instanceof AppError)) throw err;
      this.#options.logger.warn("saga input refused", { input: input.type, error: err });
      return { events: [], commands: [] };
    }
  }

  /** Updates what this process knows of a saga; returns the commands to send. */
  #settle(
    state: OrderSagaState | null,
    version: number,
    appended: boolean,
    decided: SagaCommand[],
  ): SagaCommand[] {
    if (!state) return [];
    const known = this.#tracked.has(state.sagaId);
    if (appended || !known) this.#markDirty(instanceRow(state, version));
    if (state.status === "completed" || state.status === "compensated") {
      this.#tracked.delete(state.sagaId);
      this.#dispatcher.forget(state.orderId);
      return [];
    }
    const deadline = nextDeadline(state);
    const startedAt = Date.parse(state.startedAt);
    this.#tracked.set(state.sagaId, {
      orderId: state.orderId,
      deadline: deadline === null ? null : Date.parse(deadline),
      startedAt,
      sagaDeadline: startedAt + state.sagaTimeoutMs,
      stepTimeoutMs: state.stepTimeoutMs,
    });
    // Seen for the first time by this process: whatever it had sent may be lost.
    return known ? decided : pendingCommands(state);
  }

  #markDirty(row: InstanceRow): void {
    const current = this.#dirty.get(row.sagaId);
    if (!current || current.version <= row.version) this.#dirty.set(row.sagaId, row);
  }
}
