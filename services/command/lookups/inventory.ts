/**
 * The write-side record of each order's reservation of a product (migration
 * 130): read after the inventory stream, written in the append's transaction.
 */
import type { OrderReservation } from "@shared/domain/inventory/mod.ts";
import type { EffectStatement } from "@shared/event_store/mod.ts";
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
  return row ? { quantity: row.quantity, released: row.released } : undefined;
}

/**
 * Effect: records a new reservation. An order reserves a product once: a
 * second record would be a double reservation, so the key's violation fails
 * the append with it.
 */
export function reservationRecorded(
  row: { productId: string; orderId: string; quantity: number },
): EffectStatement {
  return {
    sql: `INSERT INTO inventory_reservations (product_id, order_id, quantity)
      VALUES ($1::uuid, $2::uuid, $3::int)`,
    params: [row.productId, row.orderId, row.quantity],
  };
}

/** Effect: records a reservation released, or an order closed before it reserved. */
export function reservationReleased(row: { productId: string; orderId: string }): EffectStatement {
  return {
    sql: `INSERT INTO inventory_reservations (product_id, order_id, quantity, released)
      VALUES ($1::uuid, $2::uuid, 0, true)
      ON CONFLICT (product_id, order_id) DO UPDATE SET released = true`,
    params: [row.productId, row.orderId],
  };
}
