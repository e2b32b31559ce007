import { GraphQLError } from "graphql";
import { CATEGORIES, ORDERS, PRODUCTS } from "@shared/read_models/mod.ts";
import type { Context } from "../context.ts";
import type { CallOptions } from "@shared/grpc/mod.ts";
import type { ChangeFeed, FeedEvent } from "../feed.ts";
import { asRead } from "./orders.ts";
import { requireSignedIn, seen, visibleTo } from "../visible.ts";

/** Which projection's announcements feed each kind of subscription. */
export const FEED_PROJECTIONS = {
  categories: CATEGORIES,
  products: PRODUCTS,
  orders: ORDERS,
  // An order's saga is part of the orders projection.
  sagas: ORDERS,
} as const;

type Filter = (e: FeedEvent) => boolean;

function stream(ctx: Context, filter: Filter): AsyncIterableIterator<FeedEvent> {
  if (!ctx.feed) {
    throw new GraphQLError("Subscriptions are unavailable: the gateway has no change feed", {
      extensions: { code: "UNAVAILABLE" },
    });
  }
  return ctx.feed.events(filter);
}

/** Reads at the event's own position, so the entity includes the change. */
function at(ctx: Context, event: FeedEvent) {
  return {
    metadata: {
      ...ctx.metadata,
      consistencyToken: `${event.position.transactionId}:${event.position.id}`,
    },
  };
}

/** Reads in flight, by change feed (one per gateway), then by entity, position and reader. */
const inFlight = new WeakMap<ChangeFeed, Map<string, Promise<unknown>>>();

/**
 * One read of an entity at an event's position, shared by every subscriber
 * the event reaches while it is in flight: a change watched by a thousand
 * pages costs the query service one call, not a thousand.
 *
 * - `anyone`: the catalogue is public and its answers do not depend on the
 *   caller, so the call is shared by all and carries no caller's token (one
 *   that expired meanwhile must not fail the others), only the position and
 *   the first caller's trace.
 * - `caller`: an order's answer depends on who asks, so the call carries
 *   the caller's token and is shared only by subscriptions with that token.
 */
function sharedRead<T>(
  ctx: Context,
  event: FeedEvent,
  entity: string,
  audience: "anyone" | "caller",
  read: (options: CallOptions) => Promise<T>,
): Promise<T> {
  const feed = ctx.feed!;
  let reads = inFlight.get(feed);
  if (!reads) inFlight.set(feed, reads = new Map());
  const { authorization, userId: _, ...metadata } = at(ctx, event).metadata;
  const reader = audience === "caller" ? authorization ?? "" : "";
  const key = `${entity}@${metadata.consistencyToken}|${reader}`;
  const shared = reads.get(key);
  if (shared) return shared as Promise<T>;
  const options = audience === "caller" && authorization
    ? { metadata: { ...metadata, authorization } }
    : { metadata };
  const started = read(options).finally(() => reads.delete(key));
  reads.set(key, started);
  return started;
}

/** The category an event names, as of the event (a read shared by its subscribers). */
async function categoryOf(e: FeedEvent, _: unknown, ctx: Context) {
  const read = (options: CallOptions) =>
    ctx.clients.categoryQueries.getCategory({ id: e.id }, options);
  return (await sharedRead(ctx, e, `category:${e.id}`, "anyone", read)).category;
}

/** Product `id` as of the event (a read shared by its subscribers). */
async function productOf(ctx: Context, e: FeedEvent, id: string) {
  const read = (options: CallOptions) => ctx.clients.productQueries.getProduct({ id }, options);
  return (await sharedRead(ctx, e, `product:${id}`, "anyone", read)).product;
}

const categoryUpdates = new Set(["CategoryUpdated", "CategoryMoved", "CategoryPathChanged"]);
const productUpdates = new Set([
  "ProductUpdated",
  "ProductPriceChanged",
  "ProductArchived",
  "ProductRestored",
  "StockSet",
  "InventoryReserved",
  "InventoryReleased",
]);
const orderChanges = new Set(["OrderCreated", "OrderStatusChanged", "OrderCancelled"]);

function productIdOf(event: FeedEvent): string {
  return event.productId ?? event.id;
}

/** Subscription resolvers, fed by the read model's change feed. */
export const subscriptionResolvers = {
  Subscription: {
    categoryCreated: {
      subscribe: (_: unknown, __: unknown, ctx: Context) =>
        stream(
          ctx,
          (e) => e.projection === FEED_PROJECTIONS.categories && e.type === "CategoryCreated",
        ),
      resolve: categoryOf,
    },
    categoryUpdated: {
      subscribe: (_: unknown, args: { id?: string | null }, ctx: Context) =>
        stream(
          ctx,
          (e) =>
            e.projection === FEED_PROJECTIONS.categories && categoryUpdates.has(e.type) &&
            (!args.id || e.id === args.id),
        ),
      resolve: categoryOf,
    },
    categoryDeleted: {
      subscribe: (_: unknown, __: unknown, ctx: Context) =>
        stream(
          ctx,
          (e) => e.projection === FEED_PROJECTIONS.categories && e.type === "CategoryDeleted",
        ),
      resolve: (e: FeedEvent) => e.id,
    },
    productCreated: {
      subscribe: (_: unknown, __: unknown, ctx: Context) =>
        stream(
          ctx,
          (e) => e.projection === FEED_PROJECTIONS.products && e.type === "ProductCreated",
        ),
      resolve: (e: FeedEvent, _: unknown, ctx: Context) => productOf(ctx, e, e.id),
    },
    productUpdated: {
      subscribe: (_: unknown, args: { id?: string | null }, ctx: Context) =>
        stream(
          ctx,
          (e) =>
            e.projection === FEED_PROJECTIONS.products && productUpdates.has(e.type) &&
            (!args.id || productIdOf(e) === args.id),
        ),
      resolve: (e: FeedEvent, _: unknown, ctx: Context) => productOf(ctx, e, productIdOf(e)),
    },
    productDeleted: {
      subscribe: (_: unknown, __: unknown, ctx: Context) =>
        stream(
          ctx,
          (e) => e.projection === FEED_PROJECTIONS.products && e.type === "ProductDeleted",
        ),
      resolve: (e: FeedEvent) => e.id,
    },
    // Each change is read with the subscriber's token: only orders it may read are sent. Many
    // subscriptions with one token share the read.
    orderStatusChanged: {
      subscribe: (_: unknown, args: { orderId?: string | null }, ctx: Context) => {
        requireSignedIn(ctx, "orderStatusChanged");
        return visibleTo(
          stream(ctx, (e) =>
            e.projection === FEED_PROJECTIONS.orders && orderChanges.has(e.type) &&
            (!args.orderId || e.id === args.orderId)),
          async (e) => {
            const { order } = await sharedRead(
              ctx,
              e,
              `order:${e.id}`,
              "caller",
              (options) => ctx.clients.orderQueries.getOrder({ id: e.id }, options),
            );
            return order && asRead(order);
          },
        );
      },
      resolve: seen,
    },
    sagaProgress: {
      subscribe: (_: unknown, args: { orderId: string }, ctx: Context) => {
        requireSignedIn(ctx, "sagaProgress");
        return visibleTo(
          stream(ctx, (e) =>
            e.projection === FEED_PROJECTIONS.sagas && e.type.startsWith("Saga") &&
            e.orderId === args.orderId),
          async (e) =>
            (await sharedRead(
              ctx,
              e,
              `saga:${e.orderId}`,
              "caller",
              (options) => ctx.clients.orderQueries.getSagaState({ orderId: e.orderId! }, options),
            )).saga,
        );
      },
      resolve: seen,
    },
  },
};
