import type { CategoryEvent } from "@shared/domain/category/types.ts";
import type { InventoryEvent } from "@shared/domain/inventory/types.ts";
import type { ProductEvent } from "@shared/domain/product/types.ts";
import type { TxSql } from "@shared/db/connect.ts";
import type { Projection } from "@shared/projection/types.ts";
import { applyBatch, type EventHandlers, type PendingQuery } from "../common/batch.ts";
import { centsOf } from "../common/money.ts";
import { records } from "../common/sql.ts";
import { categoryNameHandlers } from "./_catalog.ts";
import { addCounts } from "./_counts.ts";
import { stockHandlers } from "./_stock.ts";

/** The checkpoint name of the products projection. */
export const PRODUCTS = "products";

const byProduct = (event: { data: { id: string } }) => String(event.data.id);

const productHandlers: EventHandlers<ProductEvent> = {
  ProductCreated: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return {
          id: d.id,
          name: d.name,
          description: d.description,
          price_cents: centsOf(d.price, "ProductCreated.price"),
          category_id: d.categoryId,
          version: e.version,
          created_at: d.createdAt,
        };
      });
      return tx`
        WITH added AS (
          INSERT INTO products (id, name, description, price_cents, category_id, category_name,
            version, created_at, updated_at)
          SELECT x.id, x.name, x.description, x.price_cents, x.category_id, c.name, x.version,
            x.created_at, x.created_at
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, name text,
            description text, price_cents bigint, category_id uuid, version int,
            created_at timestamptz)
          LEFT JOIN product_categories c ON c.id = x.category_id
          ON CONFLICT (id) DO NOTHING
          RETURNING category_id),
        delta AS (SELECT category_id, 1 AS n FROM added)
        ${addCounts(tx)}`;
    },
  },
  ProductUpdated: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        const c = d.changes;
        return {
          id: d.id,
          version: e.version,
          name: c.name ?? null,
          set_description: "description" in c,
          description: c.description ?? null,
          price_cents: c.price === undefined ? null : centsOf(c.price, "ProductUpdated.price"),
          category_id: c.categoryId ?? null,
          updated_at: d.updatedAt,
        };
      });
      return tx`
        WITH x AS (
          SELECT * FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, version int,
            name text, set_description boolean, description text, price_cents bigint,
            category_id uuid, updated_at timestamptz)),
        moved_from AS (
          SELECT p.category_id FROM products p JOIN x ON p.id = x.id
          WHERE p.version < x.version AND NOT p.deleted AND NOT p.archived
            AND x.category_id IS NOT NULL),
        updated AS (
          UPDATE products p SET
            name = coalesce(x.name, p.name),
            description = CASE WHEN x.set_description THEN x.description ELSE p.description END,
            price_cents = coalesce(x.price_cents, p.price_cents),
            category_id = coalesce(x.category_id, p.category_id),
            category_name = CASE WHEN x.category_id IS NULL THEN p.category_name
              ELSE (SELECT c.name FROM product_categories c WHERE c.id = x.category_id) END,
            version = x.version,
            updated_at = x.updated_at
          FROM x WHERE p.id = x.id AND p.version < x.version
          RETURNING p.category_id, p.deleted, p.archived, x.category_id IS NOT NULL AS moved),
        delta AS (
          SELECT category_id, -1 AS n FROM moved_from
          UNION ALL SELECT category_id, 1 FROM updated WHERE moved AND NOT deleted AND NOT archived)
        ${addCounts(tx)}`;
    },
  },
  ProductPriceChanged: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return {
          id: d.id,
          version: e.version,
          price_cents: centsOf(d.newPrice, "ProductPriceChanged.newPrice"),
          updated_at: d.changedAt,
        };
      });
      return tx`
        UPDATE products p SET price_cents = x.price_cents, version = x.version,
          updated_at = x.updated_at
        FROM jsonb_to_recordset(${records(tx, rows)})
          AS x(id uuid, version int, price_cents bigint, updated_at timestamptz)
        WHERE p.id = x.id AND p.version < x.version`;
    },
  },
  ProductDeleted: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => ({
        id: e.data.id,
        version: e.version,
        updated_at: e.data.deletedAt,
      }));
      return tx`
        WITH removed AS (
          UPDATE products p SET deleted = true, version = x.version, updated_at = x.updated_at
          FROM jsonb_to_recordset(${records(tx, rows)})
            AS x(id uuid, version int, updated_at timestamptz)
          WHERE p.id = x.id AND p.version < x.version AND NOT p.deleted
          RETURNING p.category_id, p.archived),
        delta AS (SELECT category_id, -1 AS n FROM removed WHERE NOT archived)
        ${addCounts(tx)}`;
    },
  },
  ProductArchived: {
    key: byProduct,
    statement: (tx, events) =>
      setArchived(tx, true, events.map((e) => [e.data.id, e.version, e.data.archivedAt])),
  },
  ProductRestored: {
    key: byProduct,
    statement: (tx, events) =>
      setArchived(tx, false, events.map((e) => [e.data.id, e.version, e.data.restoredAt])),
  },
};

/**
 * Archives or restores products: an archived one leaves the live counters
 * (and every list) but keeps its row, so it stays readable by id. Only rows
 * whose flag really flips move a counter, so a replay adds nothing.
 */
function setArchived(
  tx: TxSql,
  archived: boolean,
  changes: [id: string, version: number, at: string][],
): PendingQuery {
  const rows = changes.map(([id, version, updated_at]) => ({ id, version, updated_at }));
  return tx`
    WITH flipped AS (
      UPDATE products p SET archived = ${archived}, version = x.version, updated_at = x.updated_at
      FROM jsonb_to_recordset(${records(tx, rows)})
        AS x(id uuid, version int, updated_at timestamptz)
      WHERE p.id = x.id AND p.version < x.version AND NOT p.deleted AND p.archived <> ${archived}
      RETURNING p.category_id),
    delta AS (SELECT category_id, ${archived ? -1 : 1}::int AS n FROM flipped)
    ${addCounts(tx)}`;
}

const handlers: EventHandlers<CategoryEvent | ProductEvent | InventoryEvent> = {
  ...categoryNameHandlers,
  ...productHandlers,
  ...stockHandlers,
};

/**
 * The products read model: one row per product, with its price in cents,
 * its category's name (kept current through renames and reassignments) and
 * its stock (from the inventory events). Deleted and archived products
 * stay, flagged; the live counters leave both out.
 */
export const productsProjection: Projection = {
  name: PRODUCTS,
  tables: ["products", "product_stock", "product_categories", "product_counts"],
  eventTypes: Object.keys(handlers),
  apply: (tx, events) => applyBatch(tx, events, handlers),
};
