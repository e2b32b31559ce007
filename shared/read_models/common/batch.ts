import type postgres from "postgres";
import type { TxSql } from "@shared/db/connect.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";

/** A domain event as its aggregate declares it: a `type` and the `data` of that type. */
export interface DomainEvent {
  type: string;
  data: unknown;
}

/** A stored event of the domain event `E`: its `type` one of `E`'s, its `data` typed. */
export type Recorded<E extends DomainEvent> = Omit<RecordedEvent<E["data"]>, "type"> & {
  type: E["type"];
};

/** What every handler says of the events it applies. */
interface HandlerKeys<E extends DomainEvent> {
  /**
   * The entity an event changes (e.g. the product id). Events of different
   * entities commute, so they may be applied together; events of one entity
   * keep their order. Without `key` the event is a barrier: it is applied
   * alone, after everything before it and before everything after it (for
   * events that reach across entities, such as moving products between categories).
   */
  key?: (event: Recorded<E>) => string;
  /**
   * Each event carries everything this handler keeps of its entity (a stock
   * level, not a change to it), so a later event of the same key makes an
   * earlier one moot: a batch applies only the last of each key, whatever
   * their types. Every handler that shares such a key must say so too.
   */
  latestWins?: boolean;
}

/**
 * How a projection applies one event type, set-based: for many events of
 * that type at once, each of a different entity (a barrier gets exactly
 * one). Applying the same events again must change nothing (compare the
 * row's version with the event's).
 *
 * A handler that is one SQL statement gives `statement` (undefined when
 * its events need no write): the batch sends such statements back to back,
 * each built while the one before runs, and awaits them together. A handler
 * that needs the answer of one statement to write the next gives `apply`,
 * which the batch awaits alone.
 */
export type EventHandler<E extends DomainEvent> =
  & HandlerKeys<E>
  & (
    | { statement(tx: TxSql, events: Recorded<E>[]): PendingQuery | undefined; apply?: never }
    | { apply(tx: TxSql, events: Recorded<E>[]): Promise<void>; statement?: never }
  );

/** A statement not sent yet (postgres.js sends it when awaited or executed). */
export type PendingQuery = postgres.PendingQuery<postgres.Row[]>;

/**
 * A projection's handlers by event type, over a union of domain events: a
 * key that is not one of the union's types does not compile, and each
 * handler gets the data of its own type. A type it does not list is skipped.
 */
export type EventHandlers<E extends DomainEvent> = {
  [K in E["type"]]?: EventHandler<Extract<E, { type: K }>>;
};

/** A handler as the planner sees it, over stored events of any type. */
interface StoredEventHandler {
  key?: (event: RecordedEvent) => string;
  latestWins?: boolean;
  statement?(tx: TxSql, events: RecordedEvent[]): PendingQuery | undefined;
  apply?(tx: TxSql, events: RecordedEvent[]): Promise<void>;
}

/**
 * The handlers by the stored event's type. This is where a stored event is
 * trusted to carry the data its type declares (the store upcasts old
 * schema versions on read): the one cast of event data in the projections.
 */
function byType<E extends DomainEvent>(
  handlers: EventHandlers<E>,
): Partial<Record<string, StoredEventHandler>> {
  return handlers as Partial<Record<string, StoredEventHandler>>;
}

/** One set-based call of a planned batch. */
export interface Step {
  type: string;
  events: RecordedEvent[];
}

/**
 * Plans a batch as few set-based steps as possible while keeping every
 * entity's events in order. Between barriers, the n-th event of each entity
 * goes to layer n; layers run in order, and within a layer the events of one
 * type form one step. A rebuild that reads "create P1, stock P1, create P2,
 * stock P2, ..." thus becomes two statements, not one per event. Of the
 * events whose handler is `latestWins`, only each key's last one is kept,
 * in steps after the layers.
 */
export function planBatch<E extends DomainEvent>(
  events: readonly RecordedEvent[],
  handlers: EventHandlers<E>,
): Step[] {
  const handlerOf = byType(handlers);
  const steps: Step[] = [];
  let layers: Map<string, RecordedEvent[]>[] = [];
  let seen = new Map<string, number>();
  let latest = new Map<string, RecordedEvent>();
  const add = (groups: Map<string, RecordedEvent[]>, event: RecordedEvent) => {
    const group = groups.get(event.type);
    if (group) group.push(event);
    else groups.set(event.type, [event]);
  };
  const flush = () => {
    const last = new Map<string, RecordedEvent[]>();
    for (const event of latest.values()) add(last, event);
    for (const groups of [...layers, last]) {
      for (const [type, group] of groups) steps.push({ type, events: group });
    }
    layers = [];
    seen = new Map();
    latest = new Map();
  };
  for (const event of events) {
    const handler = handlerOf[event.type];
    // Events of other aggregates, or newer ones this code does not know: skipped quietly.
    if (!handler) continue;
    if (!handler.key) {
      flush();
      steps.push({ type: event.type, events: [event] });
      continue;
    }
    const key = handler.key(event);
    if (handler.latestWins) {
      latest.delete(key); // a key's place follows its last event
      latest.set(key, event);
      continue;
    }
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    add(layers[n] ?? (layers[n] = new Map()), event);
  }
  flush();
  return steps;
}

/**
 * Applies a batch with a projection's handlers, step after step, in the
 * caller's transaction. Statements go out back to back, in the plan's
 * order, which is also the order the server runs them in; an `apply` step
 * waits for them first. When one fails, the transaction is aborted and
 * those after it fail too: the first failure is the one thrown.
 */
export async function applyBatch<E extends DomainEvent>(
  tx: TxSql,
  events: readonly RecordedEvent[],
  handlers: EventHandlers<E>,
): Promise<void> {
  const handlerOf = byType(handlers);
  let sent: Promise<unknown>[] = [];
  const settle = async () => {
    const results = await Promise.allSettled(sent);
    sent = [];
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  for (const step of planBatch(events, handlers)) {
    const handler = handlerOf[step.type]!;
    if (handler.statement) {
      const query = handler.statement(tx, step.events)?.execute();
      query?.catch(() => {}); // a failure is thrown by settle(), in plan order
      if (query) sent.push(query);
      continue;
    }
    await settle();
    await handler.apply!(tx, step.events);
  }
  await settle();
}

/**
 * An `apply` that runs one statement per event, in order: for rare events,
 * where a set-based statement is not worth its complexity.
 */
export function eachEvent<E extends DomainEvent>(
  run: (tx: TxSql, data: E["data"], event: Recorded<E>) => Promise<unknown>,
): (tx: TxSql, events: Recorded<E>[]) => Promise<void> {
  return async (tx, events) => {
    for (const event of events) await run(tx, event.data, event);
  };
}
