import type { CategoryEvent } from "@shared/domain/category/types.ts";
import type { EventHandlers } from "../common/batch.ts";
import { recount } from "./_counts.ts";

/**
 * Category events as the products projection needs them: the names it
 * denormalizes onto products. Each is a barrier (a rename reaches every
 * product of the category).
 */
export const categoryNameHandlers: EventHandlers<CategoryEvent> = {
  CategoryCreated: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        INSERT INTO product_categories (id, name, version)
        VALUES (${d.id}, ${d.name}, ${event!.version})
        ON CONFLICT (id) DO NOTHING`;
    },
  },
  CategoryUpdated: {
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        WITH renamed AS (
          UPDATE product_categories SET name = ${d.newName}, version = ${event!.version}
          WHERE id = ${d.id} AND version < ${event!.version}
          RETURNING id, name)
        UPDATE products p SET category_name = renamed.name
        FROM renamed
        WHERE p.category_id = renamed.id AND NOT p.deleted
          AND p.category_name IS DISTINCT FROM renamed.name`;
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
    async apply(tx, [event]) {
      const d = event!.data;
      await tx`
        UPDATE product_categories SET deleted = true, version = ${event!.version}
        WHERE id = ${d.id} AND version < ${event!.version}`;
    },
  },
};
