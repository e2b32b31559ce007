import { categoryCommands } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { categories, fold, load, requireFreeId } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import { type Envelope, envelopeOf } from "../envelope.ts";
import { insertCategory, requireCategory, siblingsNamed } from "../lookups/categories.ts";
import { runCommand } from "../run.ts";
import type { CreateCategoryInput } from "./_inputs.ts";
import { deleteCategory } from "./category_delete.ts";
import { categoryView } from "./category_view.ts";
import { updateCategory } from "./category_update.ts";

/** Binds the category command RPCs. */
export function categoryHandlers(deps: CommandDeps): ServiceBinding {
  return bind(categoryCommands, {
    createCategory: (input, context) =>
      createCategory(deps, input, envelopeOf(deps, context, "createCategory", input)),
    updateCategory: (input, context) =>
      updateCategory(deps, input, envelopeOf(deps, context, "updateCategory", input)),
    deleteCategory: (input, context) =>
      deleteCategory(deps, input, envelopeOf(deps, context, "deleteCategory", input)),
  }) as ServiceBinding;
}

/**
 * CreateCategory. The decider gets the parent and the live siblings of the
 * same name; in the append's transaction the parent is held live and
 * unchanged, and the sibling-name index refuses a racing twin. Without an
 * id, the id derives from the command id, so a retry names the same category.
 */
export async function createCategory(
  deps: CommandDeps,
  input: CreateCategoryInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const id = input.id ?? deriveId("category", envelope.commandId);
  const parentId = input.parentId;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const [self, parent, siblings] = await Promise.all([
        load(store, categories, id),
        parentId ? load(store, categories, parentId) : undefined,
        siblingsNamed(store.sql, parentId ?? null, input.name),
      ]);
      requireFreeId(self, id, `create category ${quote(input.name)}`);
      const events = category.decide({
        type: "CreateCategory",
        id,
        name: input.name,
        description: input.description,
        parentId,
        parent: parent?.state ?? undefined,
        siblings,
        at: envelope.at,
      }, self.state);
      const created = events[0] as category.CategoryCreated;
      const text = `create category ${quote(created.data.name)}`;
      return await commit(store, [{
        streamId: id,
        aggregateType: categories.type,
        events,
        loadedVersion: self.version,
      }], {
        envelope,
        // A new category has no children and no products yet.
        view: () =>
          categoryView(fold(categories, self.state, events), envelope.at, {
            createdAt: envelope.at,
            childCount: 0,
            productCount: 0,
          }),
        effects: async (tx) => {
          if (parentId && parent) {
            await requireCategory(tx, { id: parentId, role: "parent", version: parent.version }, {
              text,
              field: "parentId",
            });
          }
          await insertCategory(tx, {
            id,
            parentId: created.data.parentId,
            name: created.data.name,
            version: self.version + events.length,
          }, { text, field: "name" });
        },
      });
    },
  });
}
