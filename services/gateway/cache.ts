import { parseJson } from "@shared/runtime/json.ts";
import { LRUCache } from "lru-cache";
import { Redis } from "ioredis";
import type { CallOptions, Client, ServiceContract } from "@shared/grpc/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { countCacheLookup } from "@shared/observability/mod.ts";
import { parseConsistencyToken } from "@shared/projection/consistency.ts";
import type { ChangeFeed } from "./feed.ts";

/** Settings of the read-through cache. */
export interface CacheOptions {
  /** Entries kept in process; default 10 000. */
  maxEntries?: number;
  /** Time to live of an entry in ms; default 30 000. */
  ttlMs?: number;
  /** A Redis shared by every gateway replica, as a second level. */
  redisUrl?: string;
  /** Prefix of every key, so deployments sharing a Redis stay apart; default `cqrs`. */
  namespace?: string;
  /** Bytes of whole GraphQL answers kept in process (see ResponseCache); default 64 MiB, 0 off. */
  responseMaxBytes?: number;
}

/** Hit and miss counts since start. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Reads that skipped the cache (a consistency token, or the change feed not in sync). */
  bypassed: number;
}

/**
 * A read-through cache of query results. Keys carry the read model's version
 * (every projection's checkpoint, from the change feed), so once a change is
 * projected and announced no key from before it is ever read again; TTLs
 * bound memory, not staleness.
 */
export interface QueryCache {
  stats: CacheStats;
  /**
   * Wraps a query client so its calls read through the cache; `projections`
   * are the ones its answers come from (their positions key the entries).
   */
  wrap<S extends ServiceContract>(
    service: string,
    client: Client<S>,
    projections: readonly string[],
  ): Client<S>;
  close(): Promise<void>;
}

/** Creates the cache: in-process LRU, plus Redis when `redisUrl` is set. */
export function createQueryCache(
  feed: ChangeFeed,
  logger: Logger,
  options: CacheOptions = {},
): QueryCache {
  const ttl = options.ttlMs ?? 30_000;
  const namespace = options.namespace ?? "cqrs";
  const local = new LRUCache<string, { value: unknown }>({
    max: options.maxEntries ?? 10_000,
    ttl,
  });
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    })
    : undefined;
  redis?.on("error", (err) => logger.warn("redis cache error", { error: err.message }));
  const stats: CacheStats = { hits: 0, misses: 0, bypassed: 0 };

  async function lookup(key: string): Promise<{ value: unknown } | undefined> {
    const hit = local.get(key);
    if (hit) return hit;
    if (!redis || redis.status !== "ready") return undefined;
    try {
      const raw = await redis.get(key);
      if (raw === null) return undefined;
      const entry = { value: parseJson(raw) };
      local.set(key, entry);
      return entry;
    } catch {
      return undefined;
    }
  }

  function store(key: string, value: unknown): void {
    local.set(key, { value });
    if (redis?.status === "ready") {
      redis.set(key, JSON.stringify(value), "PX", ttl).catch(() => {});
    }
  }

  return {
    stats,
    wrap<S extends ServiceContract>(
      service: string,
      client: Client<S>,
      projections: readonly string[],
    ): Client<S> {
      const wrapped: Record<string, unknown> = { close: () => client.close() };
      for (const [method, call] of Object.entries(client)) {
        if (method === "close") continue;
        const fn = call as (input: unknown, options?: CallOptions) => Promise<unknown>;
        wrapped[method] = async (input: unknown, options: CallOptions = {}) => {
          const token = options.metadata?.consistencyToken;
          if (token) {
            stats.bypassed++;
            const value = await fn(input, options);
            feed.observe(parseConsistencyToken(token));
            return value;
          }
          const version = feed.version(projections);
          if (!version) {
            stats.bypassed++;
            return await fn(input, options);
          }
          const key = `${namespace}|${version}|${service}.${method}|${JSON.stringify(input)}`;
          const hit = await lookup(key);
          countCacheLookup(service, Boolean(hit));
          if (hit) {
            stats.hits++;
            return hit.value;
          }
          stats.misses++;
          const value = await fn(input, options);
          store(key, value);
          return value;
        };
      }
      return wrapped as Client<S>;
    },
    async close() {
      local.clear();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
