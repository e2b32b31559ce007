import type { Sql } from "@shared/db/connect.ts";

/** A category row as the query service returns it. */
export interface CategoryRow {
  id: string;
  name: string;
  description: string | undefined;
  parentId: string | undefined;
  path: { id: string; name: string }[];
  depth: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Raw {
  id: string;
  name: string;
  description: string | null;
  parent_id: string | null;
  path: { id: string; name: string }[];
  depth: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toRow(r: Raw): CategoryRow {
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
  };
}

/** One live category by id. */
export async function getCategory(sql: Sql, id: string): Promise<CategoryRow | undefined> {
  const rows = await sql<Raw[]>`SELECT * FROM categories WHERE id = ${id} AND NOT deleted`;
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Live categories, by name; only the children of `parentId` when given. */
export async function listCategories(sql: Sql, parentId?: string): Promise<CategoryRow[]> {
  const rows = parentId
    ? await sql<Raw[]>`
        SELECT * FROM categories WHERE parent_id = ${parentId} AND NOT deleted ORDER BY name, id`
    : await sql<Raw[]>`SELECT * FROM categories WHERE NOT deleted ORDER BY name, id`;
  return rows.map(toRow);
}
