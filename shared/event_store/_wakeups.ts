/**
 * When a store's appends wake the readers (a NOTIFY on its channel). A batch
 * carries the wake-up in its own statement when none went out for the
 * interval; events committed without one get a wake-up of their own within
 * the interval, unless a batch sent after they committed carried one.
 */
export class WakeUps {
  readonly #intervalMs: number;
  readonly #send: () => void;
  #last = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  // When the latest commit without a wake-up was reported: what the timer must cover.
  #uncoveredAt = -Infinity;
  #closed = false;

  /** `send` sends a wake-up of its own; it must not throw. */
  constructor(intervalMs: number, send: () => void) {
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  /** Asked as a batch is sent: whether it should carry the wake-up. */
  due(): boolean {
    return !this.#closed && performance.now() - this.#last >= this.#intervalMs;
  }

  /**
   * A batch committed. `carriedSince`: when it was sent, if it carried the
   * wake-up (it was `due()` then); undefined if it carried none.
   */
  committed(carriedSince: number | undefined): void {
    if (carriedSince === undefined) {
      this.#uncoveredAt = performance.now();
      this.#schedule();
      return;
    }
    this.#last = performance.now();
    // Its wake-up went out when it committed, which was after it was sent: it covers the
    // commits reported before that, not one reported since, which may have come after it
    // (two batches' answers can be handled in the other order than they committed).
    if (this.#timer !== undefined && this.#uncoveredAt <= carriedSince) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Stops the wake-up due, if any, and any later one. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#last = performance.now();
      this.#send();
    }, this.#intervalMs);
  }
}
