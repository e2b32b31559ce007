import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from "cockatiel";
import { AppError, UnavailableError } from "@shared/errors/mod.ts";
import type { HealthWatch } from "./health_watch.ts";

/** How calls to one service are retried and when its circuit opens. */
export interface ResilienceOptions {
  /** Retries after the first attempt, for retryable failures only; default 2. */
  retries?: number;
  /** First retry delay in ms (then exponential with jitter); default 50. */
  initialBackoffMs?: number;
  /** Longest retry delay in ms; default 1000. */
  maxBackoffMs?: number;
  /** Consecutive failures that open the circuit; default 5. */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before trial calls; default 30 000 ms. A
   * service followed by {@link closeOnRecovery} closes sooner, as soon as it
   * reports SERVING again.
   */
  halfOpenAfterMs?: number;
  /** Successful trial calls that close the circuit again; default 2. */
  closeAfterSuccesses?: number;
}

/** The circuit's state, by name. */
export type CircuitStateName = "closed" | "open" | "half_open" | "isolated";

/** The resilience policy shared by every client of one service. */
export interface ServicePolicy {
  /** Runs one call with retries (when `retryable`) behind the service's circuit breaker. */
  execute<T>(call: () => Promise<T>, retryable: boolean): Promise<T>;
  /** The circuit's current state. */
  readonly state: CircuitStateName;
  /** Subscribes to circuit state changes; returns an unsubscribe function. */
  onStateChange(listener: (state: CircuitStateName) => void): () => void;
  /** Closes an open or half-open circuit at once, with its failure count reset. */
  close(): void;
}

const names: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
};

/**
 * A failure that says the service could not be reached or did not answer in
 * time: only those count towards opening the circuit. An UNAVAILABLE the
 * service itself returned (a read model that has not caught up with a
 * consistency token, a service shutting down) carries no transport code: it is
 * an answer about one request, and must never refuse everyone else's reads.
 */
export function isOutage(err: unknown): boolean {
  return err instanceof UnavailableError && "grpcCode" in err.details;
}

/**
 * Transport failures worth another attempt, by gRPC code: the service could
 * not be reached (UNAVAILABLE), or the connection broke under the call (a
 * replica killed mid-call resets its streams: INTERNAL, "RST_STREAM"). A
 * passed deadline is not retried: the caller's time is spent.
 */
const RETRIED_TRANSPORT_CODES = new Set(["UNAVAILABLE", "INTERNAL"]);

/**
 * An outage worth retrying. Only calls that are safe to repeat are retried
 * (reads, and commands with a command id, which the event store answers once
 * however often they arrive), so a call that may have reached the service
 * before its connection broke is retried too.
 */
function isRetryable(err: unknown): boolean {
  return err instanceof AppError && err.code === "UNAVAILABLE" &&
    RETRIED_TRANSPORT_CODES.has(String(err.details.grpcCode));
}

/**
 * Builds the policy of one service: a circuit breaker that opens after
 * `failureThreshold` consecutive calls failed by an outage (each counted
 * once, after its retries), lets trial calls through after
 * `halfOpenAfterMs`, and closes after `closeAfterSuccesses` of them succeed;
 * and retries with exponential backoff and jitter for calls that are safe to
 * repeat (reads, and commands, which carry ids).
 */
export function createServicePolicy(
  service: string,
  options: ResilienceOptions = {},
): ServicePolicy {
  const consecutive = new ConsecutiveBreaker(options.failureThreshold ?? 5);
  const breaker = circuitBreaker(handleWhen(isOutage), {
    breaker: consecutive,
    halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
    halfOpenSampling: { calls: options.closeAfterSuccesses ?? 2, threshold: 0 },
  });
  const retrying = retry(handleWhen(isRetryable), {
    maxAttempts: options.retries ?? 2,
    backoff: new ExponentialBackoff({
      initialDelay: options.initialBackoffMs ?? 50,
      maxDelay: options.maxBackoffMs ?? 1000,
    }),
  });
  // The breaker sees a call once, after its retries: a retry lost with one replica is
  // picked among the others, so a replica's death costs no call and opens no circuit
  // while another replica serves. Only calls that fail on every attempt count.
  const withRetry: IPolicy = wrap(breaker, retrying);
  const translate = (err: unknown): never => {
    if (err instanceof BrokenCircuitError) {
      throw new UnavailableError(`Service "${service}" is unavailable: its circuit is open`, {
        service,
        circuit: "open",
      });
    }
    throw err;
  };
  return {
    execute: (call, retryable) =>
      (retryable ? withRetry : breaker).execute(() => call()).catch(translate),
    get state() {
      return names[breaker.state];
    },
    onStateChange(listener) {
      const sub = breaker.onStateChange((s) => listener(names[s]));
      return () => sub.dispose();
    },
    close() {
      if (breaker.state !== CircuitState.Open && breaker.state !== CircuitState.HalfOpen) return;
      // cockatiel has no "close now": holding the circuit isolated and letting go closes it.
      breaker.isolate().dispose();
      consecutive.success();
    },
  };
}

/** Options of {@link closeOnRecovery}. */
export interface RecoveryOptions {
  /**
   * After the service reports SERVING again, the gateway's other channels to
   * it can still be waiting out their reconnection back-off (up to 2 s), and
   * their calls fail for a moment. A circuit that opens within this window
   * closes again after `retryMs`; default 3000 ms.
   */
  graceMs?: number;
  /** How long a circuit opened within the grace window stays open; default 250 ms. */
  retryMs?: number;
}

/**
 * Closes the circuit of `policy` as soon as its service reports SERVING after
 * having been unreachable or not serving, instead of after the blind
 * half-open delay. A circuit that opened while the service kept reporting
 * SERVING (it answers its health checks but its calls time out) is left to
 * the half-open trial calls. Returns an unsubscribe function.
 */
export function closeOnRecovery(
  policy: ServicePolicy,
  health: HealthWatch,
  options: RecoveryOptions = {},
): () => void {
  const graceMs = options.graceMs ?? 3000;
  const retryMs = options.retryMs ?? 250;
  let recoveredAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const offHealth = health.onChange((status, previous) => {
    if (status !== "SERVING" || previous === "UNKNOWN") return;
    recoveredAt = Date.now();
    if (policy.state !== "closed") policy.close();
  });
  const offState = policy.onStateChange((state) => {
    const inGrace = Date.now() - recoveredAt < graceMs;
    if (state !== "open" || health.status !== "SERVING" || !inGrace) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (health.status === "SERVING") policy.close();
    }, retryMs);
  });
  return () => {
    clearTimeout(timer);
    offHealth();
    offState();
  };
}
