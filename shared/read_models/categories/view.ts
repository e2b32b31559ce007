import type { CategoryView, PathSegment } from "@proto/query/v1/contract.ts";

/** A `categories` row as selected by {@link CATEGORY_COLUMNS}. */
export interface CategoryRow {
  id: string;
  name: string;
  description: string | null;
  parent_id: string | null;
  path: PathSegment[];
  depth: number;
  version: number;
  child_count: number;
  product_count: number;
  created_at: Date;
  updated_at: Date;
}

/** Maps a row to its view: absent optional fields stay unset, times are ISO 8601. */
export function toCategoryView(r: CategoryRow): CategoryView {
  return {
    id: r.id,
    name: r.name,
    description: r.description ?? undefined,
    parentId: r.parent_id ?? undefined,
    path: r.path,
    depth: r.depth,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    childCount: r.child_count,
    productCount: r.product_count,
  };
}
