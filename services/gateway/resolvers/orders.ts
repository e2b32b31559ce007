import { orderQueries, type OrderView as Order } from "@proto/query/v1/contract.ts";
import { parseWith } from "@shared/grpc/mod.ts";
import type { Context } from "../context.ts";
import { found } from "./_command.ts";

/** An order whose saga was read with it: null when it has none. */
type ReadOrder = Omit<Order, "saga"> & { saga: Order["saga"] | null };
type Args = Record<string, unknown>;
type Paging = { page?: number | null; perPage?: number | null };

function paging(args: Paging): { page?: number; perPage?: number } {
  return {
    ...(args.page != null ? { page: args.page } : {}),
    ...(args.perPage != null ? { perPage: args.perPage } : {}),
  };
}

/**
 * An order as a query read it: its saga came in the same answer, as of the
 * same read-model position, and is null when the order has none yet. Only
 * an order that was not read (a mutation's answer) has its saga fetched.
 */
export function asRead(order: Order): ReadOrder {
  return { ...order, saga: order.saga ?? null };
}

function readPage(page: { orders: Order[] }): ReadOrder[] {
  return page.orders.map(asRead);
}

/** Reads an order at the request's position; NotFoundError when there is none. */
export async function readOrder(ctx: Context, id: string): Promise<ReadOrder> {
  return asRead(found(
    (await ctx.clients.orderQueries.getOrder({ id }, ctx.state.read)).order,
    "Order",
    id,
  ));
}

/** Query and field resolvers of orders and their sagas (mutations: mutations.ts). */
export const orderResolvers = {
  Query: {
    order: async (_: unknown, { id }: { id: string }, ctx: Context) => {
      const { order } = await ctx.clients.orderQueries.getOrder({ id }, ctx.state.read);
      return order ? asRead(order) : null;
    },
    userOrders: async (_: unknown, args: Paging & { userId: string }, ctx: Context) =>
      readPage(
        await ctx.clients.orderQueries.getOrdersByCustomer(
          { customerId: args.userId, ...paging(args) },
          ctx.state.read,
        ),
      ),
    // GraphQL takes the status as a String (so a wrong one is refused with the
    // contract's message, naming the statuses); the contract parses it into
    // its enum, here rather than in the client, which would parse it alike.
    ordersByStatus: async (_: unknown, args: Paging & { status: string }, ctx: Context) =>
      readPage(
        await ctx.clients.orderQueries.getOrdersByStatus(
          parseWith(orderQueries.methods.getOrdersByStatus.input, {
            status: args.status,
            ...paging(args),
          }),
          ctx.state.read,
        ),
      ),
    orderStats: async (_: unknown, __: Args, ctx: Context) =>
      await ctx.clients.orderQueries.getOrderStats({}, ctx.state.read),
    sagaState: async (_: unknown, { orderId }: { orderId: string }, ctx: Context) =>
      (await ctx.clients.orderQueries.getSagaState({ orderId }, ctx.state.read)).saga ?? null,
  },

  Order: {
    saga: async (o: Order | ReadOrder, _: Args, ctx: Context) =>
      o.saga !== undefined
        ? o.saga
        : (await ctx.clients.orderQueries.getSagaState({ orderId: o.id }, ctx.state.read)).saga ??
          null,
  },
};
