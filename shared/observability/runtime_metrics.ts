import { gauge } from "./_registry.ts";

const startedAt = Date.now() / 1000;

gauge("process_start_time_seconds", "Start time of the process, in Unix seconds", [], function () {
  this.set(startedAt);
});
gauge(
  "process_resident_memory_bytes",
  "Resident memory of the process (process.memory)",
  [],
  function () {
    this.set(Deno.memoryUsage().rss);
  },
);
gauge(
  "process_heap_used_bytes",
  "V8 heap in use (process.memory.heap)",
  [],
  function () {
    this.set(Deno.memoryUsage().heapUsed);
  },
);
gauge("process_heap_total_bytes", "V8 heap reserved (process.memory.heap)", [], function () {
  this.set(Deno.memoryUsage().heapTotal);
});

let lagSamplers = 0;
let lastLag = 0;
let maxLagSinceScrape: number | undefined;

gauge(
  "event_loop_lag_seconds",
  "Largest event-loop delay seen since the previous scrape, by timer drift (event_loop.lag)",
  [],
  function () {
    if (lagSamplers === 0) return;
    this.set(maxLagSinceScrape ?? lastLag);
    maxLagSinceScrape = undefined;
  },
);

/** A running runtime sampler. */
export interface RuntimeMetrics {
  stop(): void;
}

/** Options of {@link startRuntimeMetrics}. */
export interface RuntimeMetricsOptions {
  /** How often the event-loop lag is sampled; default 500 ms. */
  intervalMs?: number;
}

/**
 * Starts sampling the event-loop lag for `event_loop_lag_seconds`: a timer
 * that measures how late it fires. The timer does not keep the process
 * alive; stop it when the service stops. Memory gauges need no sampler: they
 * are read at each scrape.
 */
export function startRuntimeMetrics(options: RuntimeMetricsOptions = {}): RuntimeMetrics {
  const intervalMs = options.intervalMs ?? 500;
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lastLag = Math.max(0, now - expected) / 1000;
    maxLagSinceScrape = Math.max(maxLagSinceScrape ?? 0, lastLag);
    expected = now + intervalMs;
  }, intervalMs);
  Deno.unrefTimer(timer);
  lagSamplers++;
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      lagSamplers--;
    },
  };
}

/** Connection counts of a pool by state, e.g. `{ max: 10, active: 3, idle: 2, waiting: 0 }`. */
export type PoolUsage = Record<string, number>;

const pools = new Map<string, () => PoolUsage | Promise<PoolUsage>>();

gauge(
  "db_pool_connections",
  "Database connections of a pool, by state: max, active, idle, waiting (db.pool.usage)",
  ["pool", "state"],
  async function () {
    this.reset();
    for (const [pool, read] of pools) {
      try {
        for (const [state, value] of Object.entries(await read())) this.set({ pool, state }, value);
      } catch {
        // A pool that cannot report (closed, failing) is left out of this scrape.
      }
    }
  },
);

/**
 * Reports a pool's usage in `db_pool_connections{pool,state}`: `read` runs at
 * every scrape and returns counts by state. Returns a function that stops
 * reporting it (call it when the pool is closed).
 */
export function observeDbPool(
  pool: string,
  read: () => PoolUsage | Promise<PoolUsage>,
): () => void {
  pools.set(pool, read);
  return () => {
    if (pools.get(pool) === read) pools.delete(pool);
  };
}
