import DataLoader from "dataloader";
import type { z } from "zod";
import type { CategoryView, ProductView } from "@proto/query/v1/contract.ts";
import { type FieldIssue, ValidationError } from "@shared/errors/mod.ts";
import type { CallMetadata, CallOptions } from "@shared/grpc/mod.ts";
import { parseConsistencyToken } from "@shared/projection/consistency.ts";
import type { Principal } from "./auth.ts";
import type { Clients } from "./clients.ts";
import type { ChangeFeed } from "./feed.ts";

/** A category as the query service returns it. */
export type Category = z.output<typeof CategoryView>;
/** A product as the query service returns it. */
export type Product = z.output<typeof ProductView>;

/**
 * What a request's mutations change for the rest of the request. It is one
 * object shared by reference: Yoga copies the context, and the loaders must
 * see what the resolvers set.
 */
export interface RequestState {
  /** Options for read calls: the request's metadata, then the last command's consistency token. */
  read: CallOptions;
  /** The position of the last event this request's mutations wrote. */
  consistencyToken?: string;
  /** Commands sent so far by this request. */
  commandCount: number;
  /** The kind of operation executed, once known. */
  operation?: "query" | "mutation" | "subscription";
}

/** Per-request state of a GraphQL operation. */
export interface Context {
  clients: Clients;
  metadata: CallMetadata;
  state: RequestState;
  loaders: Loaders;
  /** The verified caller, when the request carried a bearer token. */
  principal?: Principal;
  /** The Idempotency-Key header, from which the request's command ids derive. */
  idempotencyKey?: string;
  /** The read model's change feed, when the gateway follows one. */
  feed?: ChangeFeed;
}

/** Batching loaders: one gRPC call per kind of lookup per tick, whatever the list size. */
export interface Loaders {
  category: DataLoader<string, Category | null>;
  product: DataLoader<string, Product | null>;
  productsByCategory: DataLoader<string, Product[]>;
}

function byKey<T>(keys: readonly string[], rows: T[], key: (row: T) => string): (T | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Creates the loaders of one request. */
export function createLoaders(clients: Clients, read: () => CallOptions): Loaders {
  return {
    category: new DataLoader(async (ids) => {
      const { categories } = await clients.categoryQueries.getCategoriesByIds(
        { ids: [...ids] },
        read(),
      );
      return byKey(ids, categories, (c) => c.id);
    }),
    product: new DataLoader(async (ids) => {
      const { products } = await clients.productQueries.getProductsByIds({ ids: [...ids] }, read());
      return byKey(ids, products, (p) => p.id);
    }),
    productsByCategory: new DataLoader(async (ids) => {
      const { products } = await clients.productQueries.getProductsByCategoryIds(
        { ids: [...ids] },
        read(),
      );
      const groups = new Map<string, Product[]>();
      for (const p of products) {
        const list = groups.get(p.categoryId) ?? [];
        list.push(p);
        groups.set(p.categoryId, list);
      }
      return ids.map((id) => groups.get(id) ?? []);
    }),
  };
}

/** A verified caller: its principal and the bearer token it was verified from. */
export interface Caller {
  principal: Principal;
  /** `Bearer <token>`, forwarded to the services, which verify it again. */
  authorization: string;
}

/**
 * The call metadata of an HTTP request: correlation id, the caller's bearer
 * token, trace context, consistency token. The services know the caller
 * only from that token: a header naming a user is ignored, in every mode,
 * and an anonymous request sends no identity at all.
 */
export function requestMetadata(
  request: Request,
  caller: Caller | undefined,
): CallMetadata {
  const h = request.headers;
  const metadata: CallMetadata = {
    correlationId: h.get("x-correlation-id") ?? crypto.randomUUID(),
  };
  if (caller) {
    metadata.authorization = caller.authorization;
    // For the gateway's own use (idempotency scopes, logs): never sent, the services read the token.
    metadata.userId = caller.principal.subject;
  }
  const traceparent = h.get("traceparent");
  if (traceparent) metadata.traceparent = traceparent;
  const token = h.get("x-consistency-token");
  if (token) metadata.consistencyToken = token;
  return metadata;
}

/** The request headers that travel on as call metadata, by their documented names. */
const METADATA_HEADERS = ["X-Correlation-Id", "X-User-Id", "traceparent", "X-Consistency-Token"];

/** Longest metadata header value passed on, as the services accept it. */
const MAX_HEADER_LENGTH = 512;

/**
 * Checks the headers that become call metadata, which gRPC carries only as
 * printable ASCII: a ValidationError naming each header that is not, is too
 * long, or (the consistency token) does not parse; null when all are fine.
 */
export function checkMetadataHeaders(request: Request): ValidationError | null {
  const issues: FieldIssue[] = [];
  for (const field of METADATA_HEADERS) {
    const value = request.headers.get(field);
    if (value === null) continue;
    if (!/^[\x20-\x7e]*$/.test(value)) {
      issues.push({ field, message: "must be printable ASCII" });
    } else if (value.length > MAX_HEADER_LENGTH) {
      issues.push({ field, message: `must be at most ${MAX_HEADER_LENGTH} characters` });
    } else if (field === "X-Consistency-Token" && value !== "") {
      try {
        parseConsistencyToken(value);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        issues.push(...err.issues);
      }
    }
  }
  return issues.length > 0 ? new ValidationError(issues) : null;
}
