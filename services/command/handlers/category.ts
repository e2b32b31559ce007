import { categoryCommands } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { categories, load, requireFreeId } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import { defineCommand } from "../deps.ts";
import { insertCategory, requireCategory, siblingsNamed } from "../lookups/categories.ts";
import { categoryView } from "./category_view.ts";

/**
 * CreateCategory. The decider gets the parent and the live siblings of the
 * same name; in the append's transaction the parent is held live and
 * unchanged, and the sibling-name index refuses a racing twin. Without an
 * id, the id derives from the command id, so a retry names the same category.
 */
export const createCategory = defineCommand({
  rpc: rpcOf(categoryCommands, "createCategory"),
  aggregate: categories,
  stream: (input, envelope) => input.id ?? deriveId("category", envelope.commandId),
  load: async (input, { deps }) => {
    const [parent, siblings] = await Promise.all([
      input.parentId ? load(deps, categories, input.parentId) : undefined,
      siblingsNamed(deps.store.sql, input.parentId ?? null, input.name),
    ]);
    return { parent, siblings };
  },
  decide: (input, self, envelope) => {
    requireFreeId(self, self.streamId, `create category ${quote(input.name)}`);
    return category.decide({
      type: "CreateCategory",
      id: self.streamId,
      name: input.name,
      description: input.description,
      parentId: input.parentId,
      parent: self.with.parent?.state ?? undefined,
      siblings: self.with.siblings,
      at: envelope.at,
    }, self.state);
  },
  // A new category has no children and no products yet.
  view: ({ after, envelope }) =>
    categoryView(after, envelope.at, { createdAt: envelope.at, childCount: 0, productCount: 0 }),
  effects: ({ input, loaded, events, after }) => async (tx) => {
    const text = `create category ${quote(after?.name ?? input.name)}`;
    const { parent } = loaded.with;
    if (input.parentId && parent) {
      await requireCategory(tx, { id: input.parentId, role: "parent", version: parent.version }, {
        text,
        field: "parentId",
      });
    }
    await insertCategory(tx, {
      id: loaded.streamId,
      parentId: after?.parentId ?? null,
      name: after?.name ?? input.name,
      version: loaded.version + events.length,
    }, { text, field: "name" });
  },
});
