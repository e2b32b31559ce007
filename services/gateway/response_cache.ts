import { LRUCache } from "lru-cache";
import { countCacheLookup } from "@shared/observability/mod.ts";
import type { CacheOptions } from "./cache.ts";
import type { ChangeFeed } from "./feed.ts";

const decoder = new TextDecoder();

/** Hit and miss counts since start. */
export interface ResponseCacheStats {
  hits: number;
  misses: number;
}

interface Entry {
  /** The read model's version (every projection's position) the answer was computed at. */
  version: string;
  body: string;
  contentType: string;
}

/** A request the cache may answer: its key and the read model's version now. */
export interface Cacheable {
  key: string;
  version: string;
  /** The request itself: a hit gets the CORS headers of its origin. */
  request: Request;
}

/**
 * Whole answers of anonymous read-only GraphQL requests, so that a hot query
 * costs no parsing, validation or execution. An entry is keyed by the
 * request's body and Accept header, and kept with the read model's version
 * (every projection's checkpoint, from the change feed) at which its
 * execution started: once any change is projected and announced, the
 * version moves and no older entry is served again. Below it, the
 * read-through cache of query results (keyed per projection) still answers
 * what the change did not touch.
 */
export class ResponseCache {
  readonly stats: ResponseCacheStats = { hits: 0, misses: 0 };
  readonly #feed: ChangeFeed;
  readonly #entries: LRUCache<string, Entry>;

  /** Takes the cache's TTL and `responseMaxBytes` (default 64 MiB; the gateway makes none at 0). */
  constructor(feed: ChangeFeed, options: CacheOptions = {}) {
    this.#feed = feed;
    this.#entries = new LRUCache<string, Entry>({
      maxSize: options.responseMaxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry, key) => entry.body.length + key.length + 64,
      ttl: options.ttlMs ?? 30_000,
    });
  }

  /**
   * Whether a request may be answered from the cache: a JSON POST without
   * credentials, consistency token or idempotency key, while the change feed
   * is in sync. Returns its key and the version to check entries against.
   */
  cacheable(request: Request, body: Uint8Array): Cacheable | undefined {
    const h = request.headers;
    if (
      request.method !== "POST" || h.has("authorization") || h.has("x-consistency-token") ||
      h.has("idempotency-key") || h.has("x-user-id") ||
      !h.get("content-type")?.includes("application/json")
    ) {
      return undefined;
    }
    const version = this.#feed.version();
    if (!version) return undefined;
    return { key: `${h.get("accept") ?? ""}\n${decoder.decode(body)}`, version, request };
  }

  /**
   * The cached answer, when one was computed at the current version (an
   * entry is shared across origins: the gateway adds this request's CORS
   * headers to it as to every answer).
   */
  lookup(request: Cacheable): Response | undefined {
    const entry = this.#entries.get(request.key);
    const hit = entry !== undefined && entry.version === request.version;
    countCacheLookup("response", hit);
    if (!hit) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return new Response(entry.body, {
      status: 200,
      headers: { "content-type": entry.contentType },
    });
  }

  /**
   * Keeps the answer of a read-only operation that succeeded without errors
   * (the caller says it was read-only), and returns a response to send in
   * its place (the body has been read).
   */
  async store(request: Cacheable, response: Response): Promise<Response> {
    const contentType = response.headers.get("content-type") ?? "";
    if (response.status !== 200 || !contentType.includes("json")) return response;
    const body = await response.text();
    if (!body.includes('"errors":')) {
      this.#entries.set(request.key, { version: request.version, body, contentType });
    }
    return new Response(body, { status: response.status, headers: response.headers });
  }

  clear(): void {
    this.#entries.clear();
  }
}
