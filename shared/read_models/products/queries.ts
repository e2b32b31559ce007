import type { Sql } from "@shared/db/connect.ts";
import { escapeLike } from "../common/paging.ts";
import type { ProductView } from "@proto/query/v1/contract.ts";
import { type ProductRow, toProductView } from "./view.ts";

/** The most products {@link getProductsByCategoryIds} returns per category. */
export const MAX_PRODUCTS_PER_CATEGORY = 1000;

/** One product by id, archived or not; undefined when there is none (or it was deleted). */
export async function getProduct(sql: Sql, id: string): Promise<ProductView | undefined> {
  const rows = await sql<ProductRow[]>`SELECT * FROM product_rows WHERE id = ${id} AND NOT deleted`;
  return rows[0] && toProductView(rows[0]);
}

/** The live product of that name, case-insensitively; of several, the oldest. */
export async function getProductByName(
  sql: Sql,
  name: string,
): Promise<ProductView | undefined> {
  const rows = await sql<ProductRow[]>`
    SELECT * FROM product_rows WHERE name ILIKE ${escapeLike(name.trim())} AND NOT deleted
    ORDER BY created_at, id LIMIT 1`;
  return rows[0] && toProductView(rows[0]);
}

/** Whether a live product has this id. */
export async function productExists(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM products WHERE id = ${id} AND NOT deleted`;
  return rows.length > 0;
}

/** The live products among these ids, by name (missing and deleted ones left out). */
export async function getProductsByIds(
  sql: Sql,
  ids: readonly string[],
): Promise<ProductView[]> {
  if (ids.length === 0) return [];
  const rows = await sql<ProductRow[]>`
    SELECT * FROM product_rows WHERE id = ANY(${ids as string[]}::uuid[]) AND NOT deleted
    ORDER BY name, id`;
  return rows.map(toProductView);
}

/**
 * The catalogue's products of several categories in one query (what a GraphQL
 * DataLoader batches on), grouped by category and by name within each; at
 * most {@link MAX_PRODUCTS_PER_CATEGORY} per category, so one reply stays
 * within a gRPC message whatever the catalogue.
 */
export async function getProductsByCategoryIds(
  sql: Sql,
  categoryIds: readonly string[],
): Promise<ProductView[]> {
  if (categoryIds.length === 0) return [];
  const rows = await sql<ProductRow[]>`
    SELECT p.* FROM unnest(${[...new Set(categoryIds)]}::uuid[]) WITH ORDINALITY AS c(id, n)
    CROSS JOIN LATERAL (
      SELECT * FROM catalogue_rows
      WHERE category_id = c.id
      ORDER BY name, id LIMIT ${MAX_PRODUCTS_PER_CATEGORY}) p
    ORDER BY c.n, p.name, p.id`;
  return rows.map(toProductView);
}
