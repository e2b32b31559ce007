import { AppError } from "@shared/errors/mod.ts";
import { counter, gauge, histogram, secondsSince } from "./_registry.ts";

const commandsDispatched = counter(
  "command_dispatched_total",
  "Commands handled, by command type and outcome (command.dispatched.count)",
  ["command", "outcome"],
);
const commandDuration = histogram(
  "command_processing_duration_seconds",
  "Time to handle a command, from dispatch to append (command.processing.duration)",
  ["command"],
);
const eventsPublished = counter(
  "event_published_total",
  "Events appended to the event store, by event type (event.published.count)",
  ["event_type"],
);
const queryDuration = histogram(
  "query_duration_seconds",
  "Time to answer a query (query.duration)",
  ["query"],
);
const projectionLagEvents = gauge(
  "projection_lag_events",
  "Events in the store that a projection has not applied yet (projection.lag.events)",
  ["projection"],
);
const projectionLagSeconds = gauge(
  "projection_lag_seconds",
  "Age of the oldest event a projection has not applied yet; 0 when caught up (projection.lag.seconds)",
  ["projection"],
);
const projectionDeadLetters = gauge(
  "projection_dead_letters",
  "Events of a projection waiting in the dead-letter table (projection.dead_letters)",
  ["projection"],
);
const sagaCounters = {
  started: counter("saga_started_total", "Sagas started (saga.started.count)", ["saga"]),
  completed: counter("saga_completed_total", "Sagas completed (saga.completed.count)", ["saga"]),
  failed: counter("saga_failed_total", "Sagas that failed (saga.failed.count)", ["saga"]),
  compensated: counter(
    "saga_compensated_total",
    "Sagas that undid their completed steps (saga.compensated.count)",
    ["saga"],
  ),
};
const sagaStepDuration = histogram(
  "saga_step_duration_seconds",
  "Time from sending a saga step's command to its outcome (saga.step.duration)",
  ["step"],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
);
const circuitState = gauge(
  "circuit_breaker_state",
  "Circuit breaker of calls to a service: 0 closed, 1 half-open, 2 open (circuit_breaker.state)",
  ["service"],
);
const cacheHits = counter("cache_hits_total", "Cache lookups answered from the cache", ["cache"]);
const cacheMisses = counter("cache_misses_total", "Cache lookups that missed", ["cache"]);
const subscriptionsOpen = gauge(
  "gateway_subscriptions",
  "GraphQL subscriptions open on this gateway, over SSE and WebSocket",
  [],
);

/**
 * The outcome label of a failed command or call: the AppError code in lower
 * case (`validation`, `not_found`, `conflict`, `precondition`, `unavailable`,
 * ...), or `error` for anything else. Success is `ok`.
 */
export function outcomeOf(err: unknown): string {
  return err instanceof AppError ? err.code.toLowerCase() : "error";
}

async function timed<T>(fn: () => T | Promise<T>, done: (seconds: number, err?: unknown) => void) {
  const start = performance.now();
  try {
    const result = await fn();
    done(secondsSince(start));
    return result;
  } catch (err) {
    done(secondsSince(start), err);
    throw err;
  }
}

/**
 * Runs a command handler, timing it in `command_processing_duration_seconds`
 * and counting it in `command_dispatched_total` with its outcome (`ok` or
 * {@link outcomeOf} the error).
 */
export function observeCommand<T>(command: string, fn: () => T | Promise<T>): Promise<T> {
  return timed(fn, (seconds, err) => {
    commandDuration.observe({ command }, seconds);
    commandsDispatched.inc({ command, outcome: err === undefined ? "ok" : outcomeOf(err) });
  });
}

/** Counts appended events in `event_published_total`, one per event; pass each event's type. */
export function countEventsPublished(eventTypes: Iterable<string>): void {
  for (const eventType of eventTypes) eventsPublished.inc({ event_type: eventType });
}

/** Runs a query, timing it in `query_duration_seconds`. */
export function observeQuery<T>(query: string, fn: () => T | Promise<T>): Promise<T> {
  return timed(fn, (seconds) => queryDuration.observe({ query }, seconds));
}

/** A projection's distance behind the event store. */
export interface ProjectionLag {
  /** Events appended but not applied yet. */
  events: number;
  /** Age in seconds of the oldest event not applied yet; 0 when caught up. */
  seconds: number;
}

/** Sets `projection_lag_events` and `projection_lag_seconds` for a projection. */
export function setProjectionLag(projection: string, lag: ProjectionLag): void {
  projectionLagEvents.set({ projection }, lag.events);
  projectionLagSeconds.set({ projection }, lag.seconds);
}

/** Sets `projection_dead_letters`: how many of a projection's events sit in the dead-letter table. */
export function setProjectionDeadLetters(projection: string, count: number): void {
  projectionDeadLetters.set({ projection }, count);
}

/** A saga's change of state that is counted. */
export type SagaTransition = "started" | "completed" | "failed" | "compensated";

/** Counts a saga transition in `saga_<transition>_total`, labelled by saga (e.g. `order`). */
export function countSaga(saga: string, transition: SagaTransition): void {
  sagaCounters[transition].inc({ saga });
}

/**
 * Creates a saga's series at zero: its transition counters and the duration
 * of each of its steps, so that a scrape shows them (and `rate()` works)
 * before the first saga runs.
 */
export function zeroSagaMetrics(saga: string, steps: readonly string[]): void {
  for (const counter of Object.values(sagaCounters)) counter.inc({ saga }, 0);
  for (const step of steps) sagaStepDuration.zero({ step });
}

/** Records how long one saga step took, in `saga_step_duration_seconds`. */
export function recordSagaStep(step: string, seconds: number): void {
  sagaStepDuration.observe({ step }, seconds);
}

/** A circuit state by name, as `ServicePolicy.state` reports it. */
export type CircuitStateName = "closed" | "half_open" | "open" | "isolated";

const circuitValue: Record<CircuitStateName, number> = {
  closed: 0,
  half_open: 1,
  open: 2,
  isolated: 2,
};

/** Sets `circuit_breaker_state` of calls to `service`: 0 closed, 1 half-open, 2 open (or isolated). */
export function setCircuitState(service: string, state: CircuitStateName): void {
  circuitState.set({ service }, circuitValue[state]);
}

/** What {@link watchCircuit} needs of a policy; shared/grpc's `ServicePolicy` fits. */
export interface CircuitSource {
  readonly state: CircuitStateName;
  onStateChange(listener: (state: CircuitStateName) => void): () => void;
}

/** Keeps `circuit_breaker_state{service}` in step with a policy; returns an unsubscribe function. */
export function watchCircuit(service: string, policy: CircuitSource): () => void {
  setCircuitState(service, policy.state);
  return policy.onStateChange((state) => setCircuitState(service, state));
}

/** Counts one cache lookup in `cache_hits_total` or `cache_misses_total`. */
export function countCacheLookup(cache: string, hit: boolean): void {
  (hit ? cacheHits : cacheMisses).inc({ cache });
}

/**
 * Counts one open subscription in `gateway_subscriptions`; returns the
 * function that counts it closed, which does so once however often called.
 */
export function trackSubscription(): () => void {
  subscriptionsOpen.inc();
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    subscriptionsOpen.dec();
  };
}
