import { orderQueries } from "@proto/query/v1/contract.ts";
import { actsFor } from "@shared/auth/mod.ts";
import type { Sql } from "@shared/db/connect.ts";
import { ForbiddenError } from "@shared/errors/mod.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { ORDERS } from "@shared/read_models/orders/projection.ts";
import {
  getOrder,
  getOrdersByCustomer,
  getOrdersByStatus,
  listOrders,
} from "@shared/read_models/orders/queries.ts";
import { getSagaState } from "@shared/read_models/sagas/queries.ts";
import { STATISTICS } from "@shared/read_models/statistics/projection.ts";
import { getOrderStats } from "@shared/read_models/statistics/queries.ts";
import type { ConsistencyGuard } from "./consistency.ts";

/**
 * Binds `cqrs.query.v1.OrderQueries` to the read model. The policy lets
 * customers through to their own orders only: another customer's order
 * reads as not found (so order ids cannot be probed), another customer's
 * list is refused.
 */
export function orderHandlers(sql: Sql, consistent: ConsistencyGuard): ServiceBinding {
  const read = [ORDERS];
  return bind(orderQueries, {
    async getOrder({ id }, ctx) {
      await consistent(ctx, read);
      const order = await getOrder(sql, id);
      return order && actsFor(ctx.principal, order.customerId) ? { order } : {};
    },
    async listOrders(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await listOrders(sql, input);
      return { orders: items, pageInfo };
    },
    async getOrdersByCustomer(input, ctx) {
      if (!actsFor(ctx.principal, input.customerId)) {
        throw new ForbiddenError(
          `Cannot read the orders of customer "${input.customerId}": a customer may read only their own`,
          { field: "customerId" },
        );
      }
      await consistent(ctx, read);
      const { items, pageInfo } = await getOrdersByCustomer(sql, input);
      return { orders: items, pageInfo };
    },
    async getOrdersByStatus(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await getOrdersByStatus(sql, input);
      return { orders: items, pageInfo };
    },
    async getOrderStats(_, ctx) {
      await consistent(ctx, [STATISTICS]);
      return await getOrderStats(sql);
    },
    async getSagaState({ orderId }, ctx) {
      // Sagas are part of the orders projection.
      await consistent(ctx, read);
      const order = await getOrder(sql, orderId);
      if (!order || !actsFor(ctx.principal, order.customerId)) return {};
      return { saga: await getSagaState(sql, orderId) };
    },
  }) as ServiceBinding;
}
