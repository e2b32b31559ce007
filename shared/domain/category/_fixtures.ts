/** Builders of the category specs. */
import { AT, id } from "../shared/testing.ts";
import type { CategoryCreated, CategoryState, PathSegment } from "./types.ts";

/** A CategoryCreated event under the given ancestors. */
export function created(
  categoryId: string,
  name: string,
  ancestors: PathSegment[] = [],
): CategoryCreated {
  const path = [...ancestors, { id: categoryId, name }];
  return {
    type: "CategoryCreated",
    data: {
      id: categoryId,
      name,
      description: null,
      parentId: ancestors.at(-1)?.id ?? null,
      path,
      depth: path.length,
      createdAt: AT,
    },
  };
}

/** A live category state under the given ancestors. */
export function category(
  categoryId: string,
  name: string,
  ancestors: PathSegment[] = [],
  extra: Partial<CategoryState> = {},
): CategoryState {
  const path = [...ancestors, { id: categoryId, name }];
  return {
    id: categoryId,
    name,
    description: null,
    parentId: ancestors.at(-1)?.id ?? null,
    path,
    depth: path.length,
    deleted: false,
    version: 1,
    ...extra,
  };
}

/** A chain of `levels` nested categories, root first: ids 101, 102, ... named L1, L2, ... */
export function chain(levels: number): CategoryState[] {
  const states: CategoryState[] = [];
  for (let level = 1; level <= levels; level++) {
    states.push(category(id(100 + level), `L${level}`, states.at(-1)?.path ?? []));
  }
  return states;
}
