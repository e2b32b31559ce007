import type { Sql } from "@shared/db/connect.ts";
import type postgres from "postgres";
import { type Paged, paged, type PageRequest, pageWindow } from "../common/paging.ts";
import { type OrderRow, type OrderView, toOrderView } from "./view.ts";

/** One order by id; undefined when there is none. */
export async function getOrder(sql: Sql, id: string): Promise<OrderView | undefined> {
  const rows = await sql<OrderRow[]>`SELECT * FROM orders WHERE id = ${id}`;
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
      SELECT * FROM orders WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT ${window.limit} OFFSET ${window.offset}`
      .then((rows) => rows.map(toOrderView)),
    sql<{ count: string }[]>`SELECT count(*) FROM orders WHERE ${where}`,
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
  return await listWhere(sql, sql`customer_id = ${request.customerId}`, request);
}

/** A page of the orders in one status, newest first. */
export async function getOrdersByStatus(
  sql: Sql,
  request: PageRequest & { status: string },
): Promise<Paged<OrderView>> {
  return await listWhere(sql, sql`status = ${request.status}`, request);
}
