import type { CategoryEvent } from "@shared/domain/category/types.ts";
import type postgres from "postgres";
import type { TxSql } from "@shared/db/connect.ts";
import type { EventHandlers } from "../common/batch.ts";
import { records } from "../common/sql.ts";
import { recount } from "./_counts.ts";

const byCategory = (event: { data: { id: string } }) => `category:${event.data.id}`;

/**
 * Writes the names of a statement's `named(id, name)` CTE onto those
 * categories' products, deleted ones included: a batch may apply a rename
 * before or after a product's deletion, and either way the row must end
 * the same (a deleted product is never read, but a rebuild must equal the
 * live table).
 */
function nameProducts(tx: TxSql): postgres.PendingQuery<postgres.Row[]> {
  return tx`
    UPDATE products p SET category_name = named.name
    FROM named
    WHERE p.category_id = named.id AND p.category_name IS DISTINCT FROM named.name`;
}

/**
 * Category events as the products projection needs them: the names it
 * denormalizes onto products. They are keyed by category, so a batch applies
 * them set-based beside the product events, in whatever order its plan
 * gives: each statement leaves the same rows whichever runs first. A product
 * takes its category's name when it is created or moved, and a category's
 * creation or rename then writes its name onto the products that carry its
 * id. Only a reassignment, which moves products between categories, is a
 * barrier.
 */
export const categoryNameHandlers: EventHandlers<CategoryEvent> = {
  CategoryCreated: {
    key: byCategory,
    statement(tx, events) {
      const rows = events.map((e) => ({ id: e.data.id, name: e.data.name, version: e.version }));
      // A product created in the same batch may have been applied first, with no name yet.
      return tx`
        WITH named AS (
          INSERT INTO product_categories (id, name, version)
          SELECT id, name, version
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, name text, version int)
          ON CONFLICT (id) DO NOTHING
          RETURNING id, name)
        ${nameProducts(tx)}`;
    },
  },
  CategoryUpdated: {
    key: byCategory,
    statement(tx, events) {
      const rows = events.map((e) => ({ id: e.data.id, name: e.data.newName, version: e.version }));
      return tx`
        WITH named AS (
          UPDATE product_categories c SET name = x.name, version = x.version
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, name text, version int)
          WHERE c.id = x.id AND c.version < x.version
          RETURNING c.id, c.name)
        ${nameProducts(tx)}`;
    },
  },
  CategoryProductsReassigned: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        UPDATE products p
        SET category_id = ${d.to},
            category_name = (SELECT name FROM product_categories WHERE id = ${d.to})
        WHERE p.id = ANY(${d.productIds}::uuid[]) AND p.category_id = ${d.from} AND NOT p.deleted`;
      await recount(tx, [d.from, d.to]);
    },
  },
  CategoryDeleted: {
    key: byCategory,
    statement(tx, events) {
      const rows = events.map((e) => ({ id: e.data.id, version: e.version }));
      return tx`
        UPDATE product_categories c SET deleted = true, version = x.version
        FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, version int)
        WHERE c.id = x.id AND c.version < x.version`;
    },
  },
};
