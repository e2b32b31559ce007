import type { Sql } from "@shared/db/connect.ts";
import type postgres from "postgres";
import { type Paged, paged, type PageRequest, pageWindow } from "../common/paging.ts";
import type { OrderView } from "@proto/query/v1/contract.ts";
import { ORDER_COLUMNS, type OrderRow, toOrderView } from "./view.ts";

/**
 * Orders with their sagas, read by one statement: both tables belong to the
 * orders projection, so one snapshot shows them as of one checkpoint.
 */
const FROM_ORDERS =
  `SELECT ${ORDER_COLUMNS} FROM orders o LEFT JOIN saga_states s ON s.order_id = o.id`;

/** One order by id, with its saga; undefined when there is none. */
export async function getOrder(sql: Sql, id: string): Promise<OrderView | undefined> {
  const rows = await sql<OrderRow[]>`${sql.unsafe(FROM_ORDERS)} WHERE o.id = ${id}`;
  return rows[0] && toOrderView(rows[0]);
}

async function listWhere(
  sql: Sql,
  where: postgres.PendingQuery<postgres.Row[]>,
  request: PageRequest,
): Promise<Paged<OrderView>> {
  const window = pageWindow(request);
  return await paged(
    window,
    sql<OrderRow[]>`
      ${sql.unsafe(FROM_ORDERS)} WHERE ${where}
      ORDER BY o.created_at DESC, o.id DESC LIMIT ${window.limit} OFFSET ${window.offset}`
      .then((rows) => rows.map(toOrderView)),
    sql<{ count: string }[]>`SELECT count(*) FROM orders o WHERE ${where}`,
  );
}

/** A page of every order, newest first. */
export async function listOrders(sql: Sql, request: PageRequest): Promise<Paged<OrderView>> {
  return await listWhere(sql, sql`TRUE`, request);
}

/** A page of one customer's orders, newest first. */
export async function getOrdersByCustomer(
  sql: Sql,
  request: PageRequest & { customerId: string },
): Promise<Paged<OrderView>> {
  return await listWhere(sql, sql`o.customer_id = ${request.customerId}`, request);
}

/** A page of the orders in one status, newest first. */
export async function getOrdersByStatus(
  sql: Sql,
  request: PageRequest & { status: string },
): Promise<Paged<OrderView>> {
  return await listWhere(sql, sql`o.status = ${request.status}`, request);
}
