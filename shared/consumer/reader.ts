import type { Sql } from "@shared/db/connect.ts";
import type { AllPage, EventStore, Position } from "@shared/event_store/mod.ts";
import type { ProjectionLag } from "@shared/observability/mod.ts";
import { measureLag } from "./lag.ts";

/** Options of a {@link SharedReader}. */
export interface SharedReaderOptions {
  /** How long a full page stays cached; default 5000 ms. */
  ttlMs?: number;
  /** Most pages cached; default 32. */
  maxPages?: number;
  /** A pool for the lag queries, so that they never hold up a read; default the store's. */
  lagSql?: Sql;
}

interface Page {
  page: Promise<AllPage>;
  at: number;
  full: boolean | undefined;
}

/**
 * Reads of the global order shared by the projections of one process: they
 * usually stand at the same position and wake together, so the same page is
 * read (and parsed, and upcast) once for all. Reads in flight are shared; a
 * page that came back full is kept a while, as it can never change (every
 * event before the last one returned was visible when it was read, and stays
 * so). A short page is not kept: events may have become readable since.
 * Projections must not modify the events they are given.
 */
export class SharedReader {
  readonly #store: EventStore;
  readonly #ttlMs: number;
  readonly #maxPages: number;
  readonly #lagSql: Sql;
  readonly #pages = new Map<string, Page>();
  readonly #probes = new Map<string, Promise<unknown>>();

  constructor(store: EventStore, options: SharedReaderOptions = {}) {
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? 5000;
    this.#maxPages = options.maxPages ?? 32;
    this.#lagSql = options.lagSql ?? store.sql;
  }

  /**
   * Like `EventStore.readAllPage`, shared with concurrent and recent identical
   * reads. A read still in flight is shared only if it began after `wokenAt`
   * (a `performance.now()`): one that began before a wake-up may have missed
   * the event that the wake-up announced.
   */
  readAllPage(after: Position, limit: number, wokenAt = -Infinity): Promise<AllPage> {
    const key = `${after.transactionId}:${after.id}:${limit}`;
    const now = performance.now();
    const cached = this.#pages.get(key);
    if (
      cached &&
      (cached.full === undefined
        ? cached.at > wokenAt
        : cached.full && now - cached.at < this.#ttlMs)
    ) {
      return cached.page;
    }
    const page: Page = { page: this.#store.readAllPage(after, limit), at: now, full: undefined };
    this.#pages.set(key, page);
    page.page.then(
      ({ events }) => {
        page.full = events.length === limit;
        if (!page.full && this.#pages.get(key) === page) this.#pages.delete(key);
      },
      () => {
        if (this.#pages.get(key) === page) this.#pages.delete(key);
      },
    );
    for (const [k, p] of this.#pages) {
      if (this.#pages.size <= this.#maxPages) break;
      if (p.full !== undefined || now - p.at > this.#ttlMs) this.#pages.delete(k);
    }
    return page.page;
  }

  /** Like {@link measureLag}, shared with concurrent identical calls. */
  measureLag(position: Position): Promise<ProjectionLag> {
    return this.#once(
      `lag:${position.transactionId}:${position.id}`,
      () => measureLag(this.#lagSql, position),
    );
  }

  #once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const inflight = this.#probes.get(key);
    if (inflight) return inflight as Promise<T>;
    const probe = run().finally(() => this.#probes.delete(key));
    this.#probes.set(key, probe);
    return probe;
  }
}
