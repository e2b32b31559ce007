import { orderQueries } from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";
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

/** Binds `cqrs.query.v1.OrderQueries` to the read model. */
export function orderHandlers(sql: Sql, consistent: ConsistencyGuard): ServiceBinding {
  const read = [ORDERS];
  return bind(orderQueries, {
    async getOrder({ id }, ctx) {
      await consistent(ctx, read);
      return { order: await getOrder(sql, id) };
    },
    async listOrders(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await listOrders(sql, input);
      return { orders: items, pageInfo };
    },
    async getOrdersByCustomer(input, ctx) {
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
      return { saga: await getSagaState(sql, orderId) };
    },
  }) as ServiceBinding;
}
