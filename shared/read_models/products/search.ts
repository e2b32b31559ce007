import type { Sql } from "@shared/db/connect.ts";
import { parseCents } from "@shared/domain/shared/money.ts";
import { ValidationError } from "@shared/errors/mod.ts";
import type postgres from "postgres";
import { likePattern, type Paged, paged, type PageRequest, pageWindow } from "../common/paging.ts";
import type { ProductView } from "@proto/query/v1/contract.ts";
import { type ProductRow, toProductView } from "./view.ts";

/** The orders a product list can take; ties are broken by id. */
export type ProductSort = "name_asc" | "name_desc" | "price_asc" | "price_desc" | "newest";

/** Which live products a list holds; every given condition must hold. */
export interface ProductFilter {
  /** Contained in the name or the description, case-insensitively. */
  text?: string | undefined;
  categoryId?: string | undefined;
  /** Inclusive bounds, decimal strings ("19.99"). */
  minPrice?: string | undefined;
  maxPrice?: string | undefined;
}

/** A product list request: filter, order and page. */
export interface ProductSearch extends ProductFilter, PageRequest {
  sort?: ProductSort | undefined;
}

function orderBy(sql: Sql, sort: ProductSort): postgres.PendingQuery<postgres.Row[]> {
  switch (sort) {
    case "name_asc":
      return sql`ORDER BY name, id`;
    case "name_desc":
      return sql`ORDER BY name DESC, id DESC`;
    case "price_asc":
      return sql`ORDER BY price_cents, id`;
    case "price_desc":
      return sql`ORDER BY price_cents DESC, id DESC`;
    case "newest":
      return sql`ORDER BY created_at DESC, id DESC`;
    default: {
      const never: never = sort;
      throw new ValidationError([{ field: "sort", message: `"${never}" is not a sort order` }]);
    }
  }
}

function priceBound(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const cents = parseCents(text.trim());
  if (cents === null) {
    throw new ValidationError([{
      field,
      message: `"${text}" is not a non-negative decimal with at most 2 places`,
    }]);
  }
  return cents;
}

function whereOf(sql: Sql, filter: ProductFilter): postgres.PendingQuery<postgres.Row[]> {
  const min = priceBound(filter.minPrice, "minPrice");
  const max = priceBound(filter.maxPrice, "maxPrice");
  if (min !== undefined && max !== undefined && min > max) {
    throw new ValidationError([{
      field: "maxPrice",
      message: `"${filter.maxPrice}" must not be less than minPrice "${filter.minPrice}"`,
    }]);
  }
  // The catalogue view holds the rule of which products are listed (migration 009).
  let where = sql`TRUE`;
  const text = filter.text?.trim();
  if (text) {
    const pattern = likePattern(text);
    where = sql`${where} AND (name ILIKE ${pattern} OR description ILIKE ${pattern})`;
  }
  if (filter.categoryId) where = sql`${where} AND category_id = ${filter.categoryId}`;
  if (min !== undefined) where = sql`${where} AND price_cents >= ${min}`;
  if (max !== undefined) where = sql`${where} AND price_cents <= ${max}`;
  return where;
}

/**
 * A page of live products matching a filter, in the given order (by name
 * unless told), with the total count. Each filter and order has an index;
 * the text condition uses the trigram indexes of name and description.
 * Price bounds are inclusive; a lower bound above the upper one is a
 * VALIDATION error.
 */
export async function searchProducts(sql: Sql, search: ProductSearch): Promise<Paged<ProductView>> {
  const window = pageWindow(search);
  const where = whereOf(sql, search);
  const order = orderBy(sql, search.sort ?? "name_asc");
  const byCategoryOnly = !search.text?.trim() && search.minPrice === undefined &&
    search.maxPrice === undefined;
  return await paged(
    window,
    // The page is found on the index alone (ids only), then its rows are read
    // with their stock: a deep OFFSET skips index entries, not joined rows.
    sql<ProductRow[]>`
      SELECT * FROM product_rows
      WHERE id IN (
        SELECT id FROM catalogue WHERE ${where} ${order}
        LIMIT ${window.limit} OFFSET ${window.offset})
      ${order}`
      .then((rows) => rows.map(toProductView)),
    byCategoryOnly
      // The whole catalogue or one category: the projection's counters, not a count.
      ? sql<{ count: string }[]>`
        SELECT coalesce(sum(live), 0) AS count FROM product_counts
        WHERE ${search.categoryId ? sql`category_id = ${search.categoryId}` : sql`TRUE`}`
      : sql<{ count: string }[]>`SELECT count(*) FROM catalogue WHERE ${where}`,
  );
}
