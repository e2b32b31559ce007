import * as category from "@shared/domain/category/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { ConflictError } from "@shared/errors/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import { categories, fold, load } from "@shared/application/aggregates.ts";
import { type CommandOutcome, commit, type Write } from "../commit.ts";
import type { CommandDeps } from "../deps.ts";
import type { Envelope } from "../envelope.ts";
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
import { runCommand } from "../run.ts";
import type { UpdateCategoryInput } from "./_inputs.ts";

/**
 * UpdateCategory: rename, re-describe and/or move. The decider gets the new
 * parent, the live siblings of the name under the parent it will have, and
 * the height of its live subtree. When its path changes, every live
 * descendant is rebased (RebaseCategory, parents first) in the same
 * transaction, so paths never disagree. In that transaction the new parent
 * is held live and unchanged, the sibling-name index refuses a racing twin,
 * and the subtree must still be the one rebased.
 */
export async function updateCategory(
  deps: CommandDeps,
  input: UpdateCategoryInput,
  envelope: Envelope,
): Promise<CommandOutcome> {
  const { id } = input;
  const parentId = input.makeRoot ? null : input.parentId;
  return await runCommand(deps, envelope, {
    primaryId: id,
    attempt: async () => {
      const { store } = deps;
      const self = await load(store, categories, id);
      const state = self.state;
      const moving = state !== null && parentId !== undefined && parentId !== state.parentId;
      const live = state !== null && !state.deleted;
      const [parent, descendants, siblings] = await Promise.all([
        moving && parentId ? load(store, categories, parentId) : undefined,
        live ? liveDescendants(store.sql, id) : [],
        live
          ? siblingsNamed(store.sql, moving ? parentId : state.parentId, input.name ?? state.name)
          : [],
      ]);
      const events = category.decide({
        type: "UpdateCategory",
        id,
        name: input.name,
        description: input.description,
        parentId,
        parent: parent?.state ?? undefined,
        siblings,
        subtreeHeight: Math.max(0, ...descendants.map((d) => d.level)),
        at: envelope.at,
      }, state);
      const write: Write = {
        streamId: id,
        aggregateType: categories.type,
        events,
        loadedVersion: self.version,
      };
      if (events.length === 0 || !state) return await commit(store, [write], { envelope });

      const after = fold(categories, state, events)!;
      const renamed = after.name !== state.name;
      const action: Action = {
        text: `${moving ? "move" : renamed ? "rename" : "update"} category ${quote(after.name)}`,
        field: moving ? "parentId" : "name",
      };
      const pathChanged = !samePath(after.path, state.path);
      const rebases = pathChanged
        ? await rebase(store, { moved: after, descendants, at: envelope.at }, action)
        : [];
      return await commit(store, [write, ...rebases], {
        envelope,
        view: () => categoryView(after, envelope.at),
        effects: async (tx) => {
          if (moving && parentId && parent) {
            await lockCategories(tx, [id, parentId]);
            await requireCategory(tx, { id: parentId, role: "parent", version: parent.version }, {
              ...action,
              field: "parentId",
            });
          }
          await updateRow(tx, {
            id,
            parentId: after.parentId,
            name: after.name,
            version: self.version + events.length,
          }, action);
          if (pathChanged) {
            await setVersions(
              tx,
              rebases.map((r) => ({ id: r.streamId, version: r.loadedVersion + r.events.length })),
            );
            await requireSubtree(tx, id, descendants.map((d) => d.id), action);
          }
        },
      });
    },
  });
}

/** The RebaseCategory writes of a moved or renamed category's descendants, parents first. */
async function rebase(
  store: EventStore,
  change: { moved: category.CategoryState; descendants: Descendant[]; at: string },
  action: Action,
): Promise<Write[]> {
  const loaded = await Promise.all(change.descendants.map((d) => load(store, categories, d.id)));
  const paths = new Map([[change.moved.id, change.moved.path]]);
  return change.descendants.map((d, i): Write => {
    const { state, version } = loaded[i]!;
    const parentPath = state && !state.deleted && state.parentId
      ? paths.get(state.parentId)
      : undefined;
    if (!state || !parentPath) {
      throw new ConflictError(
        `Cannot ${action.text}: its subcategories changed concurrently; try again`,
        { field: action.field },
      );
    }
    const events = category.decide(
      { type: "RebaseCategory", id: d.id, parentPath, at: change.at },
      state,
    );
    paths.set(d.id, fold(categories, state, events)!.path);
    return { streamId: d.id, aggregateType: categories.type, events, loadedVersion: version };
  });
}

function samePath(a: readonly category.PathSegment[], b: readonly category.PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]?.id && s.name === b[i]?.name);
}
