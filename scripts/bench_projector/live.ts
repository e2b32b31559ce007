/**
 * The live-lag measurement of `deno task bench:projector`: commands appended
 * at a steady rate, and for each event the time from its commit to the
 * moment each projection's checkpoint passed it (the batch that did so
 * committed and announced it on the change feed).
 */
import type { Sql } from "@shared/db/connect.ts";
import type { EventStore, Position, RecordedEvent } from "@shared/event_store/mod.ts";
import { type ChangeNotice, followChanges } from "@shared/projection/change_feed.ts";
import { reached } from "@shared/projection/consistency.ts";

/** Lags of one run, in milliseconds, by projection, plus every projection at once (`all`). */
export interface LiveLag {
  commands: number;
  events: number;
  /** Commands per second actually issued. */
  rate: number;
  /** Sorted lags in ms by projection, and `all` (the last projection to pass each event). */
  lags: Map<string, number[]>;
}

interface Pending {
  position: Position;
  committedAt: number;
  seen: Map<string, number>;
}

/**
 * Appends `events` one command each (one event per append, streams kept in
 * order), `rate` commands per second, after `warmupMs` unmeasured, and
 * measures lags until every projection has passed the last one.
 */
export async function measureLiveLag(
  store: EventStore,
  readModelUrl: string,
  readModel: Sql,
  projections: readonly string[],
  events: readonly RecordedEvent[],
  options: { rate: number; warmupMs: number },
): Promise<LiveLag> {
  const pending: Pending[] = [];
  const checkpoints = new Map<string, Position>();
  const visibleAt = (p: Pending, projection: string, at: number) => {
    if (!p.seen.has(projection)) p.seen.set(projection, Math.max(0, at - p.committedAt));
  };
  const learn = (notice: ChangeNotice) => {
    const at = performance.now();
    checkpoints.set(notice.projection, notice.position);
    let kept = 0;
    for (const p of pending) {
      if (reached(notice.position, p.position)) visibleAt(p, notice.projection, at);
      if (p.seen.size < projections.length) pending[kept++] = p;
    }
    pending.length = kept;
  };
  const feed = followChanges(readModelUrl, readModel, {
    onChange: learn,
    onSync: (current) => {
      for (const [projection, position] of current) {
        learn({ projection, position, events: [] });
      }
    },
  });
  const measured: Pending[] = [];
  const chains = new Map<string, Promise<unknown>>();
  const started = performance.now();
  const warmupEnd = started + options.warmupMs;
  const interval = 1000 / options.rate;
  let issued = 0;
  const inflight: Promise<unknown>[] = [];
  try {
    for (const event of events) {
      const due = started + issued * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      issued++;
      const previous = chains.get(event.aggregateId) ?? Promise.resolve();
      const append = previous.then(() =>
        store.append(event.aggregateId, [{ type: event.type, data: event.data }], {
          aggregateType: event.aggregateType,
          expectedVersion: event.version - 1 || "no_stream",
        })
      ).then((result) => {
        const position = result.positions.at(-1)!;
        const p: Pending = { position, committedAt: performance.now(), seen: new Map() };
        for (const [projection, at] of checkpoints) {
          if (reached(at, position)) p.seen.set(projection, 0);
        }
        if (p.committedAt >= warmupEnd) measured.push(p);
        if (p.seen.size < projections.length) pending.push(p);
      });
      chains.set(event.aggregateId, append);
      inflight.push(append);
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - started) / 1000;
    const deadline = Date.now() + 60_000;
    while (pending.length > 0) {
      if (Date.now() > deadline) throw new Error("The projections did not catch up within 60 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const lags = new Map<string, number[]>();
    for (const projection of [...projections, "all"]) {
      const values = measured.map((p) =>
        projection === "all" ? Math.max(...p.seen.values()) : p.seen.get(projection)!
      );
      lags.set(projection, values.sort((a, b) => a - b));
    }
    return { commands: issued, events: measured.length, rate: issued / elapsed, lags };
  } finally {
    await feed.stop();
  }
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
