/** One ancestor on a category's path from the root. */
export interface PathSegment {
  id: string;
  name: string;
}

/** The deepest a category may sit; a root is level 1. */
export const MAX_DEPTH = 5;

/** Category commands. Ids and time come in with the command, so `decide` is deterministic. */
export type CategoryCommand = {
  type: "CreateCategory";
  id: string;
  name: string;
  description?: string | undefined;
  /** The parent's state, loaded by the handler; absent for a root. */
  parent?: CategoryState | undefined;
  at: string;
};

/** Category events. */
export type CategoryEvent = {
  type: "CategoryCreated";
  data: {
    id: string;
    name: string;
    description: string | null;
    parentId: string | null;
    path: PathSegment[];
    depth: number;
    createdAt: string;
  };
};

/** The state of one category, folded from its events. */
export interface CategoryState {
  id: string;
  name: string;
  description: string | null;
  parentId: string | null;
  path: PathSegment[];
  depth: number;
  deleted: boolean;
  /** Number of events applied. */
  version: number;
}

/** The state before any event. */
export const initialState: CategoryState | null = null;
