import type { CategoryEvent, CategoryState } from "./types.ts";

/** Applies one event to a category's state. */
export function evolve(state: CategoryState | null, event: CategoryEvent): CategoryState | null {
  const version = (state?.version ?? 0) + 1;
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
        version,
      };
    case "CategoryUpdated":
      return state && {
        ...state,
        name: event.data.newName,
        description: event.data.newDescription,
        path: event.data.path,
        version,
      };
    case "CategoryMoved":
      return state && {
        ...state,
        parentId: event.data.newParentId,
        path: event.data.newPath,
        depth: event.data.newDepth,
        version,
      };
    case "CategoryPathChanged":
      return state && { ...state, path: event.data.newPath, depth: event.data.depth, version };
    case "CategoryProductsReassigned":
      return state && { ...state, version };
    case "CategoryDeleted":
      return state && { ...state, deleted: true, version };
    default: {
      // A recorded event this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}
