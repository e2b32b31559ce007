import type { InventoryEvent } from "@shared/domain/inventory/types.ts";
import type { EventHandler, EventHandlers } from "../common/batch.ts";
import { records } from "../common/sql.ts";

/**
 * Every inventory event carries the product's stock after it: StockSet its
 * `quantity`, the others `available`. Applying one is setting the stock, if
 * the inventory stream's version is newer than the one recorded. The stock
 * has a row of its own, so its events are keyed apart from the product's,
 * and each holds the whole stock: a batch applies only a product's last one.
 */
function stockHandler<E extends InventoryEvent>(
  stockOf: (data: E["data"]) => number,
): EventHandler<E> {
  return {
    key: (event) => `stock:${event.data.productId}`,
    latestWins: true,
    statement(tx, events) {
      const rows = events.map((e) => ({
        product_id: e.data.productId,
        stock: Number(stockOf(e.data)),
        version: e.version,
      }));
      return tx`
        INSERT INTO product_stock AS s (product_id, stock, version)
        SELECT product_id, stock, version
        FROM jsonb_to_recordset(${records(tx, rows)}) AS x(product_id uuid, stock int, version int)
        ON CONFLICT (product_id) DO UPDATE SET stock = EXCLUDED.stock, version = EXCLUDED.version
        WHERE s.version < EXCLUDED.version`;
    },
  };
}

/** The stock of each product, from the inventory events. */
export const stockHandlers: EventHandlers<InventoryEvent> = {
  StockSet: stockHandler((d) => d.quantity),
  InventoryReserved: stockHandler((d) => d.available),
  InventoryReleased: stockHandler((d) => d.available),
  InventoryReservationFailed: stockHandler((d) => d.available),
};
