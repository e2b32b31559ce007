import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { checkDescription, checkName, nameKey, quote } from "../shared/rules.ts";
import { checkSiblings } from "./_rules.ts";
import {
  type CategoryEvent,
  type CategoryState,
  MAX_CATEGORY_NAME,
  MAX_DEPTH,
  type PathSegment,
  type UpdateCategory,
} from "./types.ts";

/** Decides an UpdateCategory on a live category: CategoryUpdated and/or CategoryMoved, or nothing. */
export function decideUpdate(command: UpdateCategory, state: CategoryState): CategoryEvent[] {
  const name = command.name === undefined
    ? state.name
    : checkName(command.name, { max: MAX_CATEGORY_NAME });
  const description = command.description === undefined
    ? state.description
    : checkDescription(command.description);
  const moving = command.parentId !== undefined && command.parentId !== state.parentId;
  const renamed = name !== state.name;
  const redescribed = description !== state.description;

  const ancestors = moving ? checkMove(command, state, name) : state.path.slice(0, -1);
  if (moving || nameKey(name) !== nameKey(state.name)) {
    checkSiblings(`${moving ? "move" : "rename"} category`, name, command.siblings, state.id);
  }

  const events: CategoryEvent[] = [];
  const renamedPath = [...state.path.slice(0, -1), { id: state.id, name }];
  if (renamed || redescribed) {
    events.push({
      type: "CategoryUpdated",
      data: {
        id: state.id,
        oldName: state.name,
        newName: name,
        oldDescription: state.description,
        newDescription: description,
        path: renamedPath,
        updatedAt: command.at,
      },
    });
  }
  if (moving) {
    const newPath = [...ancestors, { id: state.id, name }];
    events.push({
      type: "CategoryMoved",
      data: {
        id: state.id,
        oldParentId: state.parentId,
        newParentId: command.parentId ?? null,
        oldPath: renamedPath,
        newPath,
        oldDepth: state.depth,
        newDepth: newPath.length,
        movedAt: command.at,
      },
    });
  }
  return events;
}

/** Checks a move and returns the new ancestors (the new parent's path). */
function checkMove(command: UpdateCategory, state: CategoryState, name: string): PathSegment[] {
  const parentId = command.parentId ?? null;
  const parent = command.parent;
  if (parentId === state.id) {
    throw new PreconditionError(
      `Cannot move category ${quote(name)}: it would create a cycle (it cannot be its own parent)`,
      { field: "parentId" },
    );
  }
  if (parentId !== null) {
    if (parent?.id !== parentId) {
      throw new NotFoundError(
        `Cannot move category ${quote(name)}: parent ${quote(parentId)} does not exist`,
        { field: "parentId" },
      );
    }
    if (parent.deleted) {
      throw new PreconditionError(
        `Cannot move category ${quote(name)}: parent ${quote(parent.name)} is deleted`,
        { field: "parentId" },
      );
    }
    if (parent.path.some((segment) => segment.id === state.id)) {
      throw new PreconditionError(
        `Cannot move category ${quote(name)}: it would create a cycle (${
          quote(parent.name)
        } is its descendant)`,
        { field: "parentId" },
      );
    }
  }
  if (command.subtreeHeight === undefined) {
    // A handler bug, not a user error: the depth rule cannot be checked without it.
    throw new TypeError("UpdateCategory needs subtreeHeight to move a category");
  }
  const ancestors = parentId === null || !parent ? [] : parent.path;
  const newDepth = ancestors.length + 1;
  const deepest = newDepth + command.subtreeHeight;
  if (deepest > MAX_DEPTH) {
    const who = command.subtreeHeight === 0 ? "it" : "a descendant";
    throw new PreconditionError(
      `Cannot move category ${
        quote(name)
      }: ${who} would sit at depth ${deepest}, deeper than ${MAX_DEPTH}`,
      { field: "parentId" },
    );
  }
  return ancestors;
}
