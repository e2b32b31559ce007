/** Options of a {@link RestartBackoff}. */
export interface RestartBackoffOptions {
  /** First delay; default 200 ms. */
  initialMs?: number;
  /** Longest delay; default 5000 ms. */
  maxMs?: number;
  /** A process that stayed up this long starts again from the first delay; default 10 000 ms. */
  resetAfterMs?: number;
}

/**
 * Delays between restarts of one process: doubling from `initialMs` up to
 * `maxMs`, so a process that dies at once (a bad configuration, a database
 * that is still down) does not spin, and back to `initialMs` once a run
 * lasted `resetAfterMs`.
 */
export class RestartBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #resetAfterMs: number;
  #nextMs: number;
  #startedAt = Date.now();
  /** Restarts so far. */
  restarts = 0;

  constructor(options: RestartBackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 200;
    this.#maxMs = options.maxMs ?? 5000;
    this.#resetAfterMs = options.resetAfterMs ?? 10_000;
    this.#nextMs = this.#initialMs;
  }

  /** Call when the process starts. */
  started(): void {
    this.#startedAt = Date.now();
  }

  /** The delay before the next restart, after the process died. */
  next(): number {
    if (Date.now() - this.#startedAt >= this.#resetAfterMs) this.#nextMs = this.#initialMs;
    const delay = this.#nextMs;
    this.#nextMs = Math.min(this.#nextMs * 2, this.#maxMs);
    this.restarts++;
    return delay;
  }
}
