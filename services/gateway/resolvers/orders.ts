import type { z } from "zod";
import type { OrderView } from "@proto/query/v1/contract.ts";
import type { Context } from "../context.ts";
import { found, orderOf, runCommand } from "./_command.ts";

type Order = z.output<typeof OrderView>;
type Args = Record<string, unknown>;
type Paging = { page?: number | null; perPage?: number | null };

function paging(args: Paging): { page?: number; perPage?: number } {
  return {
    ...(args.page != null ? { page: args.page } : {}),
    ...(args.perPage != null ? { perPage: args.perPage } : {}),
  };
}

async function readOrder(ctx: Context, id: string): Promise<Order> {
  return found(
    (await ctx.clients.orderQueries.getOrder({ id }, ctx.state.read)).order,
    "Order",
    id,
  );
}

/** Query, mutation and field resolvers of orders and their sagas. */
export const orderResolvers = {
  Query: {
    order: async (_: unknown, { id }: { id: string }, ctx: Context) =>
      (await ctx.clients.orderQueries.getOrder({ id }, ctx.state.read)).order ?? null,
    userOrders: async (_: unknown, args: Paging & { userId: string }, ctx: Context) =>
      (await ctx.clients.orderQueries.getOrdersByCustomer(
        { customerId: args.userId, ...paging(args) },
        ctx.state.read,
      )).orders,
    ordersByStatus: async (_: unknown, args: Paging & { status: string }, ctx: Context) =>
      (await ctx.clients.orderQueries.getOrdersByStatus(
        { status: args.status as never, ...paging(args) },
        ctx.state.read,
      )).orders,
    orderStats: async (_: unknown, __: Args, ctx: Context) =>
      await ctx.clients.orderQueries.getOrderStats({}, ctx.state.read),
    sagaState: async (_: unknown, { orderId }: { orderId: string }, ctx: Context) =>
      (await ctx.clients.orderQueries.getSagaState({ orderId }, ctx.state.read)).saga ?? null,
  },

  // Each mutation answers from its command's result (the order as the command
  // decided it), so a committed write answers success whatever the read side
  // does; it reads the order only for a result without one (an older command).
  Mutation: {
    createOrder: async (_: unknown, { input }: { input: Args }, ctx: Context) => {
      const r = await runCommand(
        ctx,
        "createOrder",
        (o) => ctx.clients.orderCommands.createOrder(input as never, o),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    cancelOrder: async (_: unknown, { input }: { input: Args }, ctx: Context) => {
      const r = await runCommand(
        ctx,
        "cancelOrder",
        (o) => ctx.clients.orderCommands.cancelOrder(input as never, o),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    updateOrderStatus: async (_: unknown, { input }: { input: Args }, ctx: Context) => {
      const r = await runCommand(
        ctx,
        "updateOrderStatus",
        (o) => ctx.clients.orderCommands.updateOrderStatus(input as never, o),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    startOrderSaga: async (_: unknown, { input }: { input: { orderId: string } }, ctx: Context) => {
      const r = await runCommand(
        ctx,
        "startOrderSaga",
        (o) => ctx.clients.orderCommands.startOrderSaga(input, o),
      );
      return orderOf(r) ?? await readOrder(ctx, input.orderId);
    },
  },

  Order: {
    saga: async (o: Order, _: Args, ctx: Context) =>
      (await ctx.clients.orderQueries.getSagaState({ orderId: o.id }, ctx.state.read)).saga ?? null,
  },
};
