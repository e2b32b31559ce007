import { AlreadyExistsError, NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { nameKey, quote } from "../shared/rules.ts";
import type { CategoryState, PathSegment, Sibling } from "./types.ts";

/** The state of an existing, live category, or the error that refuses the command. */
export function live(state: CategoryState | null, id: string, verb: string): CategoryState {
  if (!state) {
    throw new NotFoundError(`Cannot ${verb} category ${quote(id)}: it does not exist`, {
      field: "id",
    });
  }
  if (state.deleted) {
    throw new PreconditionError(`Cannot ${verb} category ${quote(state.name)}: it is deleted`, {
      field: "id",
    });
  }
  return state;
}

/** Refuses a name already used by another live sibling, compared case-insensitively. */
export function checkSiblings(
  action: string,
  name: string,
  siblings: readonly Sibling[] | undefined,
  self: string,
): void {
  const key = nameKey(name);
  const clash = siblings?.find((s) => s.id !== self && nameKey(s.name) === key);
  if (clash) {
    throw new AlreadyExistsError(
      `Cannot ${action} ${quote(name)}: a sibling named ${quote(clash.name)} already exists`,
      { field: "name" },
    );
  }
}

/** Whether two paths hold the same ids and names. */
export function samePath(
  a: readonly PathSegment[],
  b: readonly PathSegment[],
): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]?.id && s.name === b[i]?.name);
}
