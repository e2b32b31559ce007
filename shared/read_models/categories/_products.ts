import type { ProductEvent } from "@shared/domain/product/types.ts";
import type { EventHandlers } from "../common/batch.ts";
import { records } from "../common/sql.ts";

const byProduct = (event: { data: { id: string } }) => String(event.data.id);

/**
 * Which category each product is in, and the live-product counter of each
 * category, from product events. Keyed by product, so a batch of many
 * products' events is applied in a few statements.
 */
export const productMembershipHandlers: EventHandlers<ProductEvent> = {
  ProductCreated: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => ({
        id: e.data.id,
        category_id: e.data.categoryId,
        version: e.version,
      }));
      return tx`
        WITH added AS (
          INSERT INTO category_products (product_id, category_id, version)
          SELECT id, category_id, version
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, category_id uuid, version int)
          ON CONFLICT (product_id) DO NOTHING
          RETURNING category_id)
        UPDATE categories c SET product_count = c.product_count + a.n
        FROM (SELECT category_id, count(*) AS n FROM added GROUP BY category_id) a
        WHERE c.id = a.category_id`;
    },
  },
  ProductUpdated: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.flatMap((e) => {
        const categoryId = e.data.changes.categoryId;
        return categoryId ? [{ id: e.data.id, category_id: categoryId, version: e.version }] : [];
      });
      if (rows.length === 0) return;
      return tx`
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(${records(tx, rows)})
            AS x(id uuid, category_id uuid, version int)),
        before AS (
          SELECT m.category_id FROM category_products m JOIN input i ON m.product_id = i.id
          WHERE m.version < i.version AND NOT m.deleted),
        after AS (
          UPDATE category_products m SET category_id = i.category_id, version = i.version
          FROM input i WHERE m.product_id = i.id AND m.version < i.version
          RETURNING m.category_id, m.deleted),
        delta AS (
          SELECT category_id, sum(n) AS n FROM (
            SELECT category_id, -1 AS n FROM before
            UNION ALL SELECT category_id, 1 FROM after WHERE NOT deleted) d
          GROUP BY category_id)
        UPDATE categories c SET product_count = c.product_count + delta.n
        FROM delta WHERE c.id = delta.category_id AND delta.n <> 0`;
    },
  },
  ProductDeleted: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => ({ id: e.data.id, version: e.version }));
      return tx`
        WITH removed AS (
          UPDATE category_products m SET deleted = true, version = x.version
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, version int)
          WHERE m.product_id = x.id AND m.version < x.version AND NOT m.deleted
          RETURNING m.category_id)
        UPDATE categories c SET product_count = c.product_count - r.n
        FROM (SELECT category_id, count(*) AS n FROM removed GROUP BY category_id) r
        WHERE c.id = r.category_id`;
    },
  },
};
