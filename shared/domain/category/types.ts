/** One ancestor on a category's path from the root. */
export interface PathSegment {
  id: string;
  name: string;
}

/** A live category under the same parent, as the write-side lookup table holds it. */
export interface Sibling {
  id: string;
  name: string;
}

/** The deepest a category may sit; a root is level 1. */
export const MAX_DEPTH = 5;

/** The longest category name, after trimming. */
export const MAX_CATEGORY_NAME = 100;

/**
 * Creates a category.
 *
 * The handler loads: `parent`, the state of `parentId` (absent when there is no
 * such category); `siblings`, the live categories under that parent (or the
 * live roots), from the write-side name table.
 */
export type CreateCategory = {
  type: "CreateCategory";
  id: string;
  name: string;
  description?: string | undefined;
  /** The requested parent; when absent, `parent?.id` (if any) is the parent. */
  parentId?: string | undefined;
  /** The parent's state, loaded by the handler; absent for a root. */
  parent?: CategoryState | undefined;
  /** Live categories under the parent, for the case-insensitive sibling-name rule. */
  siblings?: readonly Sibling[] | undefined;
  at: string;
};

/**
 * Renames, re-describes and/or moves a category. `parentId: null` moves it to
 * the root; an absent field is left as it is.
 *
 * The handler loads: `parent`, the state of the new parent when `parentId` is
 * an id; `siblings`, the live categories under the parent it will have (the new
 * one when moving, else the current one); `subtreeHeight`, how many levels of
 * descendants it has (0 for a leaf), needed when moving. After a rename or a
 * move the handler sends {@link RebaseCategory} to every live descendant,
 * parents before children, so their paths follow.
 */
export type UpdateCategory = {
  type: "UpdateCategory";
  id: string;
  name?: string | undefined;
  description?: string | null | undefined;
  parentId?: string | null | undefined;
  parent?: CategoryState | undefined;
  siblings?: readonly Sibling[] | undefined;
  subtreeHeight?: number | undefined;
  at: string;
};

/**
 * Re-derives a descendant's path after an ancestor was renamed or moved.
 * `parentPath` is the new path of its parent (ending with the parent itself).
 */
export type RebaseCategory = {
  type: "RebaseCategory";
  id: string;
  parentPath: readonly PathSegment[];
  at: string;
};

/**
 * Deletes a category.
 *
 * The handler loads, from the write-side lookup tables: `childCount`, its live
 * subcategories; `productIds`, its live products; and `target`, the state of
 * `reassignProductsTo` when given. When reassigning, it also moves every
 * product (an UpdateProduct with the new categoryId) in the same transaction.
 */
export type DeleteCategory = {
  type: "DeleteCategory";
  id: string;
  reason?: string | undefined;
  reassignProductsTo?: string | undefined;
  childCount: number;
  productIds: readonly string[];
  target?: CategoryState | undefined;
  at: string;
};

/** Category commands. Ids and time come in with the command, so `decide` is deterministic. */
export type CategoryCommand = CreateCategory | UpdateCategory | RebaseCategory | DeleteCategory;

/** A category was created. */
export type CategoryCreated = {
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

/** A category's name and/or description changed; `path` ends with the new name. */
export type CategoryUpdated = {
  type: "CategoryUpdated";
  data: {
    id: string;
    oldName: string;
    newName: string;
    oldDescription: string | null;
    newDescription: string | null;
    path: PathSegment[];
    updatedAt: string;
  };
};

/** A category moved under another parent (or to the root). */
export type CategoryMoved = {
  type: "CategoryMoved";
  data: {
    id: string;
    oldParentId: string | null;
    newParentId: string | null;
    oldPath: PathSegment[];
    newPath: PathSegment[];
    oldDepth: number;
    newDepth: number;
    movedAt: string;
  };
};

/** A descendant's path followed the rename or move of an ancestor. */
export type CategoryPathChanged = {
  type: "CategoryPathChanged";
  data: {
    id: string;
    oldPath: PathSegment[];
    newPath: PathSegment[];
    depth: number;
    changedAt: string;
  };
};

/** The live products of a category being deleted moved to another category. */
export type CategoryProductsReassigned = {
  type: "CategoryProductsReassigned";
  data: {
    from: string;
    to: string;
    productIds: string[];
    reassignedAt: string;
  };
};

/** A category was deleted. */
export type CategoryDeleted = {
  type: "CategoryDeleted";
  data: {
    id: string;
    reason: string | null;
    deletedAt: string;
  };
};

/** Category events. */
export type CategoryEvent =
  | CategoryCreated
  | CategoryUpdated
  | CategoryMoved
  | CategoryPathChanged
  | CategoryProductsReassigned
  | CategoryDeleted;

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
