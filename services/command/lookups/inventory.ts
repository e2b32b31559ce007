/**
 * Each order's reservation of a product (migration 130), which the
 * inventory events keep in their own transaction.
 */
import type { OrderReservation } from "@shared/domain/inventory/mod.ts";
import type { Queryable } from "./categories.ts";

/** An order's reservation of a product, as recorded; undefined when it has none. */
export async function reservationOf(
  sql: Queryable,
  productId: string,
  orderId: string,
): Promise<OrderReservation | undefined> {
  const [row] = await sql<OrderReservation[]>`
    SELECT quantity, released FROM inventory_reservations
    WHERE product_id = ${productId} AND order_id = ${orderId}`;
  return row;
}
