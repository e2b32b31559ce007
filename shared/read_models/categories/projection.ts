import type { TxSql } from "@shared/db/connect.ts";
import type { CategoryEvent } from "@shared/domain/category/mod.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import type { Projection } from "@shared/projection/types.ts";

async function applyOne(tx: TxSql, event: RecordedEvent): Promise<void> {
  const e = { type: event.type, data: event.data } as CategoryEvent;
  switch (e.type) {
    case "CategoryCreated": {
      const d = e.data;
      await tx`
        INSERT INTO categories (id, name, description, parent_id, path, depth, version,
          created_at, updated_at)
        VALUES (${d.id}, ${d.name}, ${d.description}, ${d.parentId}, ${tx.json(d.path as never)},
          ${d.depth}, ${event.version}, ${d.createdAt}, ${d.createdAt})
        ON CONFLICT (id) DO NOTHING`;
      return;
    }
    default:
      // Events of other aggregates, or newer ones this code does not know: skip.
      return;
  }
}

/** The categories read model: one row per category with its path and depth. */
export const categoriesProjection: Projection = {
  name: "categories",
  async apply(tx, events) {
    for (const event of events) {
      if (event.aggregateType === "Category") await applyOne(tx, event);
    }
  },
};
