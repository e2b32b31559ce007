import { AlreadyExistsError, NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { checkDescription, checkName, checkReason, invalid, quote } from "../shared/rules.ts";
import { checkSiblings, live, samePath } from "./_rules.ts";
import {
  type CategoryCommand,
  type CategoryEvent,
  type CategoryState,
  type CreateCategory,
  type DeleteCategory,
  MAX_CATEGORY_NAME,
  MAX_DEPTH,
  type RebaseCategory,
} from "./types.ts";
import { decideUpdate } from "./_update.ts";

/** Decides which events a category command produces, or throws the rule it breaks. */
export function decide(command: CategoryCommand, state: CategoryState | null): CategoryEvent[] {
  switch (command.type) {
    case "CreateCategory":
      return decideCreate(command, state);
    case "UpdateCategory":
      return decideUpdate(command, live(state, command.id, "update"));
    case "RebaseCategory":
      return decideRebase(command, live(state, command.id, "rebase"));
    case "DeleteCategory":
      return decideDelete(command, live(state, command.id, "delete"));
    default: {
      const never: never = command;
      throw new NotFoundError(`Unknown command ${quote((never as { type: string }).type)}`);
    }
  }
}

function decideCreate(command: CreateCategory, state: CategoryState | null): CategoryEvent[] {
  if (state) {
    throw new AlreadyExistsError(`Cannot create category ${quote(command.id)}: it already exists`, {
      field: "id",
    });
  }
  const name = checkName(command.name, { max: MAX_CATEGORY_NAME });
  const description = checkDescription(command.description);
  const parentId = command.parentId ?? command.parent?.id;
  const parent = command.parent;
  if (parentId !== undefined && parent?.id !== parentId) {
    throw new NotFoundError(
      `Cannot create category ${quote(name)}: parent ${quote(parentId)} does not exist`,
      { field: "parentId" },
    );
  }
  if (parent?.deleted) {
    throw new PreconditionError(
      `Cannot create category ${quote(name)}: parent ${quote(parent.name)} is deleted`,
      { field: "parentId" },
    );
  }
  const path = [...(parent?.path ?? []), { id: command.id, name }];
  if (path.length > MAX_DEPTH) {
    throw new PreconditionError(
      `Cannot create category ${
        quote(name)
      }: it would sit at depth ${path.length}, deeper than ${MAX_DEPTH}`,
      { field: "parentId" },
    );
  }
  checkSiblings("create category", name, command.siblings, command.id);
  return [{
    type: "CategoryCreated",
    data: {
      id: command.id,
      name,
      description,
      parentId: parent?.id ?? null,
      path,
      depth: path.length,
      createdAt: command.at,
    },
  }];
}

function decideRebase(command: RebaseCategory, state: CategoryState): CategoryEvent[] {
  const parentId = command.parentPath.at(-1)?.id ?? null;
  if (parentId !== state.parentId) {
    throw new PreconditionError(
      `Cannot rebase category ${quote(state.name)}: the path given ends at ${
        quote(parentId ?? "the root")
      }, not at its parent`,
      { field: "parentPath" },
    );
  }
  const newPath = [...command.parentPath, { id: state.id, name: state.name }];
  if (newPath.length > MAX_DEPTH) {
    throw new PreconditionError(
      `Cannot rebase category ${
        quote(state.name)
      }: it would sit at depth ${newPath.length}, deeper than ${MAX_DEPTH}`,
      { field: "parentPath" },
    );
  }
  if (samePath(newPath, state.path)) return [];
  return [{
    type: "CategoryPathChanged",
    data: {
      id: state.id,
      oldPath: state.path,
      newPath,
      depth: newPath.length,
      changedAt: command.at,
    },
  }];
}

function decideDelete(command: DeleteCategory, state: CategoryState): CategoryEvent[] {
  if (command.childCount > 0) {
    throw new PreconditionError(
      `Cannot delete category ${quote(state.name)}: it has ${command.childCount} ${
        command.childCount === 1 ? "subcategory" : "subcategories"
      }`,
      { field: "id" },
    );
  }
  const to = command.reassignProductsTo;
  if (to !== undefined) {
    if (to === state.id) {
      throw invalid("reassignProductsTo", `must name another category than ${quote(to)}`);
    }
    const target = command.target;
    if (target?.id !== to) {
      throw new NotFoundError(
        `Cannot reassign the products of category ${quote(state.name)}: category ${
          quote(to)
        } does not exist`,
        { field: "reassignProductsTo" },
      );
    }
    if (target.deleted) {
      throw new PreconditionError(
        `Cannot reassign the products of category ${quote(state.name)}: category ${
          quote(target.name)
        } is deleted`,
        { field: "reassignProductsTo" },
      );
    }
  }
  const count = command.productIds.length;
  if (count > 0 && to === undefined) {
    throw new PreconditionError(
      `Cannot delete category ${quote(state.name)}: it has ${count} live ${
        count === 1 ? "product" : "products"
      }; name another live category in reassignProductsTo`,
      { field: "reassignProductsTo" },
    );
  }
  const events: CategoryEvent[] = [];
  if (count > 0 && to !== undefined) {
    events.push({
      type: "CategoryProductsReassigned",
      data: { from: state.id, to, productIds: [...command.productIds], reassignedAt: command.at },
    });
  }
  events.push({
    type: "CategoryDeleted",
    data: { id: state.id, reason: checkReason(command.reason), deletedAt: command.at },
  });
  return events;
}
