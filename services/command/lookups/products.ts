/**
 * The write-side product lookup (migration 101): which category each live
 * product is in. Kept in step with each product append, in its transaction.
 */
import type { TxSql } from "@shared/db/connect.ts";
import { type EffectStatement, type SqlEffects, sqlEffects } from "@shared/event_store/mod.ts";
import { quote } from "@shared/domain/shared/rules.ts";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { type Action, categoryRequired, type Queryable } from "./categories.ts";

/** The live products of a category, sorted. */
export async function liveProductIds(sql: Queryable, categoryId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT product_id::text AS id FROM product_lookup
    WHERE category_id = ${categoryId} AND NOT deleted ORDER BY product_id`;
  return rows.map((r) => r.id);
}

/**
 * CreateProduct's effects: the category held live (a concurrent delete of it
 * either waits and then counts this product, or wins and refuses it) and
 * the product recorded in it.
 */
export function newProductEffects(
  row: { id: string; categoryId: string; name: string },
): SqlEffects {
  return sqlEffects([
    categoryRequired({ id: row.categoryId, role: "category" }, {
      text: `create product ${quote(row.name)}`,
      field: "categoryId",
    }),
    productInserted(row),
  ]);
}

/** Effect: records a new product in its category. */
export function productInserted(row: { id: string; categoryId: string }): EffectStatement {
  return {
    sql: "INSERT INTO product_lookup (product_id, category_id) VALUES ($1::uuid, $2::uuid)",
    params: [row.id, row.categoryId],
  };
}

/** Effect: records products moved to another category. */
export async function moveProducts(
  tx: TxSql,
  ids: readonly string[],
  categoryId: string,
): Promise<void> {
  if (ids.length === 0) return;
  await tx`
    UPDATE product_lookup SET category_id = ${categoryId}
    WHERE product_id = ANY(${[...ids]}::uuid[])`;
}

/** Effect: marks a product deleted. */
export function productDeleted(id: string): EffectStatement {
  return {
    sql: "UPDATE product_lookup SET deleted = true WHERE product_id = $1::uuid",
    params: [id],
  };
}

/**
 * Effect: holds a product live until the transaction ends, or refuses the
 * command; `action` names the product (`set the stock of product "Pen"`).
 * The check is the statement's own (es_refuse), so it can go out with
 * COMMIT, or inside the append statement itself (SqlEffects).
 */
export function productRequired(id: string, action: Action): EffectStatement {
  const field = { field: action.field };
  return {
    sql: `
      SELECT es_refuse(CASE WHEN p.deleted IS NULL THEN 'missing' ELSE 'deleted' END)
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
        SELECT deleted FROM product_lookup WHERE product_id = $1::uuid FOR SHARE
      ) AS p ON true
      WHERE p.deleted IS NULL OR p.deleted`,
    params: [id],
    refused: ({ reason }) =>
      reason === "missing"
        ? new NotFoundError(`Cannot ${action.text}: it does not exist`, field)
        : reason === "deleted"
        ? new PreconditionError(`Cannot ${action.text}: it is deleted`, field)
        : undefined,
  };
}
