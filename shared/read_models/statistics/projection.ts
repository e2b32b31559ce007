import type { CategoryEvent } from "@shared/domain/category/types.ts";
import type { InventoryEvent } from "@shared/domain/inventory/types.ts";
import type { OrderEvent } from "@shared/domain/order/types.ts";
import type { ProductEvent } from "@shared/domain/product/types.ts";
import type { Projection } from "@shared/projection/types.ts";
import { applyBatch, eachEvent, type EventHandlers } from "../common/batch.ts";
import { orderStatisticsHandlers } from "./_orders.ts";
import { productStatisticsHandlers } from "./_products.ts";

/** The checkpoint name of the statistics projection. */
export const STATISTICS = "statistics";

const byCategory = (event: { data: { id: string } }) => String(event.data.id);

/** Category events touch the category's own row only, except a reassignment (a barrier). */
const categoryHandlers: EventHandlers<CategoryEvent> = {
  CategoryCreated: {
    key: byCategory,
    apply: eachEvent((tx, d, event) =>
      tx`
        INSERT INTO stats_categories (id, name, parent_id, depth, version)
        VALUES (${d.id}, ${d.name}, ${d.parentId}, ${d.depth}, ${event.version})
        ON CONFLICT (id) DO NOTHING`
    ),
  },
  CategoryUpdated: {
    key: byCategory,
    apply: eachEvent((tx, d, event) =>
      tx`
        UPDATE stats_categories SET name = ${d.newName}, version = ${event.version}
        WHERE id = ${d.id} AND version < ${event.version}`
    ),
  },
  CategoryMoved: {
    key: byCategory,
    apply: eachEvent((tx, d, event) =>
      tx`
        UPDATE stats_categories SET parent_id = ${d.newParentId}, depth = ${d.newDepth},
          version = ${event.version}
        WHERE id = ${d.id} AND version < ${event.version}`
    ),
  },
  CategoryPathChanged: {
    key: byCategory,
    apply: eachEvent((tx, d, event) =>
      tx`
        UPDATE stats_categories SET depth = ${d.depth}, version = ${event.version}
        WHERE id = ${d.id} AND version < ${event.version}`
    ),
  },
  CategoryDeleted: {
    key: byCategory,
    apply: eachEvent((tx, d, event) =>
      tx`
        UPDATE stats_categories SET deleted = true, version = ${event.version}
        WHERE id = ${d.id} AND version < ${event.version}`
    ),
  },
  CategoryProductsReassigned: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        UPDATE stats_products SET category_id = ${d.to}
        WHERE id = ANY(${d.productIds}::uuid[]) AND category_id = ${d.from} AND NOT deleted`;
      await tx`
        INSERT INTO stats_category_products AS s (category_id, product_count, price_sum_cents,
          stock_sum, archived_count)
        SELECT k.id, count(p.id) FILTER (WHERE NOT p.archived),
          coalesce(sum(p.price_cents) FILTER (WHERE NOT p.archived), 0),
          coalesce(sum(p.stock) FILTER (WHERE NOT p.archived), 0),
          count(p.id) FILTER (WHERE p.archived)
        FROM unnest(ARRAY[${d.from}, ${d.to}]::uuid[]) AS k(id)
        LEFT JOIN stats_products p ON p.category_id = k.id AND NOT p.deleted
        GROUP BY k.id
        ON CONFLICT (category_id) DO UPDATE SET product_count = EXCLUDED.product_count,
          price_sum_cents = EXCLUDED.price_sum_cents, stock_sum = EXCLUDED.stock_sum,
          archived_count = EXCLUDED.archived_count`;
    },
  },
};

const handlers: EventHandlers<CategoryEvent | ProductEvent | InventoryEvent | OrderEvent> = {
  ...categoryHandlers,
  ...productStatisticsHandlers,
  ...orderStatisticsHandlers,
};

/**
 * The statistics read model: counters per category (live products, the sum
 * of their prices and stock) and per order status (orders, the sum of their
 * totals), kept current by deltas so each statistic reads a few rows.
 */
export const statisticsProjection: Projection = {
  name: STATISTICS,
  tables: [
    "stats_categories",
    "stats_products",
    "stats_category_products",
    "stats_orders",
    "stats_order_status",
  ],
  eventTypes: Object.keys(handlers),
  apply: (tx, events) => applyBatch(tx, events, handlers),
};
