import { orderCommands } from "@proto/command/v1/contract.ts";
import { orderQueries, type OrderView as Order } from "@proto/query/v1/contract.ts";
import { parseWith } from "@shared/grpc/mod.ts";
import type { Context } from "../context.ts";
import { type ContractInput, found, orderOf, runCommand } from "./_command.ts";

type OrderCommand = typeof orderCommands.methods;
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

async function readOrder(ctx: Context, id: string): Promise<ReadOrder> {
  return asRead(found(
    (await ctx.clients.orderQueries.getOrder({ id }, ctx.state.read)).order,
    "Order",
    id,
  ));
}

/** Query, mutation and field resolvers of orders and their sagas. */
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

  // Each mutation answers from its command's result (the order as the command
  // decided it), so a committed write answers success whatever the read side
  // does; it reads the order only for a result without one (an older command).
  Mutation: {
    createOrder: async (
      _: unknown,
      { input }: { input: ContractInput<OrderCommand["createOrder"]> },
      ctx: Context,
    ) => {
      const r = await runCommand(
        ctx,
        "createOrder",
        (o) => ctx.clients.orderCommands.createOrder(input, o),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    cancelOrder: async (
      _: unknown,
      { input }: { input: ContractInput<OrderCommand["cancelOrder"]> },
      ctx: Context,
    ) => {
      const r = await runCommand(
        ctx,
        "cancelOrder",
        (o) => ctx.clients.orderCommands.cancelOrder(input, o),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    // The status is a String in GraphQL, the contract's enum in the command:
    // parsed with the contract, inside the command call as the client would.
    updateOrderStatus: async (
      _: unknown,
      { input }: { input: { id: string; status: string } },
      ctx: Context,
    ) => {
      const r = await runCommand(
        ctx,
        "updateOrderStatus",
        (o) =>
          ctx.clients.orderCommands.updateOrderStatus(
            parseWith(orderCommands.methods.updateOrderStatus.input, input),
            o,
          ),
      );
      return orderOf(r) ?? await readOrder(ctx, r.id);
    },
    startOrderSaga: async (
      _: unknown,
      { input }: { input: ContractInput<OrderCommand["startOrderSaga"]> },
      ctx: Context,
    ) => {
      const r = await runCommand(
        ctx,
        "startOrderSaga",
        (o) => ctx.clients.orderCommands.startOrderSaga(input, o),
      );
      return orderOf(r) ?? await readOrder(ctx, input.orderId);
    },
  },

  Order: {
    saga: async (o: Order | ReadOrder, _: Args, ctx: Context) =>
      o.saga !== undefined
        ? o.saga
        : (await ctx.clients.orderQueries.getSagaState({ orderId: o.id }, ctx.state.read)).saga ??
          null,
  },
};
