import type { CategoryNode, CategoryView, PathSegment } from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";
import type postgres from "postgres";
import { likePattern, type Paged, paged, type PageRequest, pageWindow } from "../common/paging.ts";
import { type CategoryRow, toCategoryView } from "./view.ts";

/** One live category by id; undefined when there is none. */
export async function getCategory(sql: Sql, id: string): Promise<CategoryView | undefined> {
  const rows = await sql<CategoryRow[]>`
    SELECT * FROM categories WHERE id = ${id} AND NOT deleted`;
  return rows[0] && toCategoryView(rows[0]);
}

/**
 * The live category of that name, case-insensitively. Names are unique among
 * siblings only, so of several the shallowest (then oldest) wins.
 */
export async function getCategoryByName(
  sql: Sql,
  name: string,
): Promise<CategoryView | undefined> {
  const rows = await sql<CategoryRow[]>`
    SELECT * FROM categories WHERE lower(name) = lower(${name.trim()}) AND NOT deleted
    ORDER BY depth, created_at, id LIMIT 1`;
  return rows[0] && toCategoryView(rows[0]);
}

/** Whether a live category has this id. */
export async function categoryExists(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM categories WHERE id = ${id} AND NOT deleted`;
  return rows.length > 0;
}

/** A page of live categories by name; only the children of `parentId` when given. */
export async function listCategories(
  sql: Sql,
  request: PageRequest & { parentId?: string | undefined },
): Promise<Paged<CategoryView>> {
  const parent = request.parentId;
  const where = parent ? sql`parent_id = ${parent} AND NOT deleted` : sql`NOT deleted`;
  return await pageOfCategories(sql, request, where);
}

/** A page of live categories whose name contains the term, case-insensitively, by name. */
export async function searchCategories(
  sql: Sql,
  request: PageRequest & { searchTerm: string },
): Promise<Paged<CategoryView>> {
  const where = sql`name ILIKE ${likePattern(request.searchTerm)} AND NOT deleted`;
  return await pageOfCategories(sql, request, where);
}

/** A page of the categories matching `where`, by name, with their total count. */
async function pageOfCategories(
  sql: Sql,
  request: PageRequest,
  where: postgres.PendingQuery<postgres.Row[]>,
): Promise<Paged<CategoryView>> {
  const window = pageWindow(request);
  return await paged(
    window,
    sql<CategoryRow[]>`
      SELECT * FROM categories WHERE ${where}
      ORDER BY name, id LIMIT ${window.limit} OFFSET ${window.offset}`
      .then((rows) => rows.map(toCategoryView)),
    sql<{ count: string }[]>`SELECT count(*) FROM categories WHERE ${where}`,
  );
}

/** The live categories among these ids, by name (missing and deleted ones left out). */
export async function getCategoriesByIds(
  sql: Sql,
  ids: readonly string[],
): Promise<CategoryView[]> {
  if (ids.length === 0) return [];
  const rows = await sql<CategoryRow[]>`
    SELECT * FROM categories WHERE id = ANY(${ids as string[]}::uuid[]) AND NOT deleted
    ORDER BY name, id`;
  return rows.map(toCategoryView);
}

/** The path of a live category from the root, itself included; empty when there is none. */
export async function getCategoryPath(sql: Sql, id: string): Promise<PathSegment[]> {
  const rows = await sql<{ path: PathSegment[] }[]>`
    SELECT path FROM categories WHERE id = ${id} AND NOT deleted`;
  return rows[0]?.path ?? [];
}

/** Every live category as a tree, siblings by name. */
export async function getCategoryTree(sql: Sql): Promise<CategoryNode[]> {
  const rows = await sql<CategoryRow[]>`
    SELECT * FROM categories WHERE NOT deleted ORDER BY depth, name, id`;
  const nodes = new Map<string, CategoryNode>();
  for (const row of rows) nodes.set(row.id, { category: toCategoryView(row), children: [] });
  const roots: CategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.category.parentId ? nodes.get(node.category.parentId) : undefined;
    // A category whose parent is not live (never the case when the write side
    // holds its rules) is shown as a root rather than lost.
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
