import { categoryCommands } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import { fold } from "@shared/domain/shared/decider.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { ConflictError } from "@shared/errors/mod.ts";
import { categories, load, type Loaded } from "@shared/application/aggregates.ts";
import { rpcOf } from "@shared/application/command.ts";
import type { Write } from "@shared/application/commit.ts";
import { defineCommand } from "../deps.ts";
import { categoryView } from "./category_view.ts";
import {
  type Action,
  type Descendant,
  liveDescendants,
  lockCategories,
  requireCategory,
  requireSubtree,
  setVersions,
  siblingsNamed,
  updateCategory as updateRow,
} from "../lookups/categories.ts";

/**
 * UpdateCategory: rename, re-describe and/or move. The decider gets the new
 * parent, the live siblings of the name under the parent it will have, and
 * the height of its live subtree. When its path changes, every live
 * descendant is rebased (RebaseCategory, parents first) in the same
 * transaction, so paths never disagree. In that transaction the new parent
 * is held live and unchanged, the sibling-name index refuses a racing twin,
 * and the subtree must still be the one rebased.
 */
export const updateCategory = defineCommand({
  rpc: rpcOf(categoryCommands, "updateCategory"),
  aggregate: categories,
  stream: (input) => input.id,
  load: async (input, { deps, self }) => {
    const { state } = await self;
    const parentId = input.makeRoot ? null : input.parentId;
    const moving = state !== null && parentId !== undefined && parentId !== state.parentId;
    const live = state !== null && !state.deleted;
    const [parent, descendants, siblings] = await Promise.all([
      moving && parentId ? load(deps, categories, parentId) : undefined,
      live ? liveDescendants(deps.store.sql, input.id) : [],
      live
        ? siblingsNamed(
          deps.store.sql,
          moving ? parentId : state.parentId,
          input.name ?? state.name,
        )
        : [],
    ]);
    // Only a rename or a move changes the paths below: then the descendants are rebased.
    const renaming = live && input.name !== undefined && input.name !== state.name;
    const below = moving || renaming
      ? await Promise.all(descendants.map((d) => load(deps, categories, d.id)))
      : [];
    return { parentId, moving, parent, descendants, siblings, below };
  },
  decide: (input, self, envelope) => {
    const { parentId, parent, descendants, siblings, below } = self.with;
    const events = category.decide({
      type: "UpdateCategory",
      id: input.id,
      name: input.name,
      description: input.description,
      parentId,
      parent: parent?.state ?? undefined,
      siblings,
      subtreeHeight: Math.max(0, ...descendants.map((d) => d.level)),
      at: envelope.at,
    }, self.state);
    const before = self.state;
    if (events.length === 0 || !before) return events;
    const after = fold(categories, events, { from: before })!;
    if (samePath(after.path, before.path)) return events;
    const writes = rebase(
      { moved: after, descendants, below, at: envelope.at },
      actionOf(self.with.moving, before, after),
    );
    return { events, writes };
  },
  view: ({ events, after, envelope }) =>
    events.length === 0 ? undefined : categoryView(after, envelope.at),
  effects: ({ input, loaded, events, after, writes }) => {
    const before = loaded.state;
    if (!before || !after) return undefined;
    const { moving, parentId, parent, descendants } = loaded.with;
    const action = actionOf(moving, before, after);
    const pathChanged = !samePath(after.path, before.path);
    return async (tx) => {
      if (moving && parentId && parent) {
        await lockCategories(tx, [input.id, parentId]);
        await requireCategory(tx, { id: parentId, role: "parent", version: parent.version }, {
          ...action,
          field: "parentId",
        });
      }
      await updateRow(tx, {
        id: input.id,
        parentId: after.parentId,
        name: after.name,
        version: loaded.version + events.length,
      }, action);
      if (pathChanged) {
        await setVersions(
          tx,
          writes.map((w) => ({ id: w.streamId, version: w.loadedVersion + w.events.length })),
        );
        await requireSubtree(tx, input.id, descendants.map((d) => d.id), action);
      }
    };
  },
});

/** What the update does, for its refusals: a move, a rename or an update. */
function actionOf(
  moving: boolean,
  before: category.CategoryState,
  after: category.CategoryState,
): Action {
  const renamed = after.name !== before.name;
  return {
    text: `${moving ? "move" : renamed ? "rename" : "update"} category ${quote(after.name)}`,
    field: moving ? "parentId" : "name",
  };
}

/** The RebaseCategory writes of a moved or renamed category's descendants, parents first. */
function rebase(
  change: {
    moved: category.CategoryState;
    descendants: Descendant[];
    below: Loaded<category.CategoryState | null>[];
    at: string;
  },
  action: Action,
): Write[] {
  const paths = new Map([[change.moved.id, change.moved.path]]);
  return change.descendants.map((d, i): Write => {
    const loaded = change.below[i];
    const state = loaded?.state;
    const parentPath = state && !state.deleted && state.parentId
      ? paths.get(state.parentId)
      : undefined;
    if (!loaded || !state || !parentPath) {
      throw new ConflictError(
        `Cannot ${action.text}: its subcategories changed concurrently; try again`,
        { field: action.field },
      );
    }
    const events = category.decide(
      { type: "RebaseCategory", id: d.id, parentPath, at: change.at },
      state,
    );
    paths.set(d.id, fold(categories, events, { from: state })!.path);
    return {
      streamId: d.id,
      aggregateType: categories.type,
      events,
      loadedVersion: loaded.version,
    };
  });
}

function samePath(a: readonly category.PathSegment[], b: readonly category.PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]?.id && s.name === b[i]?.name);
}
