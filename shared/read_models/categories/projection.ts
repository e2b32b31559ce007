import type { TxSql } from "@shared/db/connect.ts";
import type { CategoryEvent } from "@shared/domain/category/types.ts";
import type { ProductEvent } from "@shared/domain/product/types.ts";
import type { Projection } from "@shared/projection/types.ts";
import { applyBatch, type EventHandlers } from "../common/batch.ts";
import { productMembershipHandlers } from "./_products.ts";

/** The checkpoint name of the categories projection. */
export const CATEGORIES = "categories";

/** Recounts the live subcategories of some categories. */
async function recountChildren(tx: TxSql, ids: (string | null)[]): Promise<void> {
  const parents = ids.filter((id): id is string => id !== null);
  if (parents.length === 0) return;
  await tx`
    UPDATE categories c SET child_count = (
      SELECT count(*) FROM categories k WHERE k.parent_id = c.id AND NOT k.deleted)
    WHERE c.id = ANY(${parents}::uuid[])`;
}

/**
 * Category events reach across rows (parents' counters, descendants' paths),
 * so each is a barrier: applied alone, in order. They are few next to
 * product events.
 */
const categoryHandlers: EventHandlers<CategoryEvent> = {
  CategoryCreated: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        INSERT INTO categories (id, name, description, parent_id, path, depth, version,
          created_at, updated_at)
        VALUES (${d.id}, ${d.name}, ${d.description}, ${d.parentId}, ${tx.json(d.path as never)},
          ${d.depth}, ${event!.version}, ${d.createdAt}, ${d.createdAt})
        ON CONFLICT (id) DO NOTHING`;
      await recountChildren(tx, [d.parentId]);
    },
  },
  CategoryUpdated: {
    async apply(tx, [event]) {
      const d = event!.data;
      // The descendants' paths follow the new name at once; their own
      // CategoryPathChanged events, when they come, set the same paths.
      await tx`
        WITH renamed AS (
          UPDATE categories SET name = ${d.newName}, description = ${d.newDescription},
            path = ${tx.json(d.path as never)}, version = ${event!.version},
            updated_at = ${d.updatedAt}
          WHERE id = ${d.id} AND version < ${event!.version}
          RETURNING id)
        UPDATE categories c SET path = category_path_renamed(c.path, ${d.id}, ${d.newName})
        FROM renamed
        WHERE c.path @> jsonb_build_array(jsonb_build_object('id', ${d.id}::text))
          AND c.id <> renamed.id`;
    },
  },
  CategoryMoved: {
    async apply(tx, [event]) {
      const d = event!.data;
      const newPath = tx.json(d.newPath as never);
      await tx`
        WITH moved AS (
          UPDATE categories SET parent_id = ${d.newParentId}, path = ${newPath},
            depth = ${d.newDepth}, version = ${event!.version}, updated_at = ${d.movedAt}
          WHERE id = ${d.id} AND version < ${event!.version}
          RETURNING id)
        UPDATE categories c
        SET path = ${newPath}::jsonb || category_path_below(c.path, ${d.id}),
            depth = jsonb_array_length(${newPath}::jsonb || category_path_below(c.path, ${d.id}))
        FROM moved
        WHERE c.path @> jsonb_build_array(jsonb_build_object('id', ${d.id}::text))
          AND c.id <> moved.id`;
      await recountChildren(tx, [d.oldParentId, d.newParentId]);
    },
  },
  CategoryPathChanged: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        UPDATE categories SET path = ${tx.json(d.newPath as never)}, depth = ${d.depth},
          version = ${event!.version}, updated_at = ${d.changedAt}
        WHERE id = ${d.id} AND version < ${event!.version}`;
    },
  },
  CategoryProductsReassigned: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        UPDATE category_products SET category_id = ${d.to}
        WHERE product_id = ANY(${d.productIds}::uuid[]) AND category_id = ${d.from}
          AND NOT deleted`;
      await tx`
        UPDATE categories c SET product_count = (
          SELECT count(*) FROM category_products m WHERE m.category_id = c.id AND NOT m.deleted)
        WHERE c.id IN (${d.from}, ${d.to})`;
      await tx`
        UPDATE categories SET version = ${event!.version}
        WHERE id = ${event!.aggregateId} AND version < ${event!.version}`;
    },
  },
  CategoryDeleted: {
    async apply(tx, [event]) {
      const d = event!.data;
      const rows = await tx<{ parent_id: string | null }[]>`
        UPDATE categories SET deleted = true, version = ${event!.version},
          updated_at = ${d.deletedAt}
        WHERE id = ${d.id} AND version < ${event!.version}
        RETURNING parent_id`;
      await recountChildren(tx, rows.map((r) => r.parent_id));
    },
  },
};

const handlers: EventHandlers<CategoryEvent | ProductEvent> = {
  ...categoryHandlers,
  ...productMembershipHandlers,
};

/**
 * The categories read model: one row per category with its path from the
 * root, its depth, and the counts of its live subcategories and products.
 */
export const categoriesProjection: Projection = {
  name: CATEGORIES,
  tables: ["categories", "category_products"],
  eventTypes: Object.keys(handlers),
  apply: (tx, events) => applyBatch(tx, events, handlers),
};
