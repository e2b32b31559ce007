import type { CategoryEvent, CategoryState } from "./types.ts";

/** Applies one event to a category's state. */
export function evolve(state: CategoryState | null, event: CategoryEvent): CategoryState | null {
  switch (event.type) {
    case "CategoryCreated":
      return {
        id: event.data.id,
        name: event.data.name,
        description: event.data.description,
        parentId: event.data.parentId,
        path: event.data.path,
        depth: event.data.depth,
        deleted: false,
        version: (state?.version ?? 0) + 1,
      };
    default:
      // An event this code does not know leaves the state as it is.
      return state;
  }
}
