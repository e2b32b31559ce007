import type { TxSql } from "@shared/db/connect.ts";
import type postgres from "postgres";

/**
 * Adds a statement's `delta(category_id, n)` CTE to the live-product
 * counters. Deltas come only from rows the statement really changed, so a
 * replayed event adds nothing.
 */
export function addCounts(tx: TxSql): postgres.PendingQuery<postgres.Row[]> {
  return tx`
    INSERT INTO product_counts AS k (category_id, live)
    SELECT category_id, sum(n) FROM delta GROUP BY category_id
    ON CONFLICT (category_id) DO UPDATE SET live = k.live + EXCLUDED.live`;
}

/** Recounts the live products of some categories from the rows themselves. */
export async function recount(tx: TxSql, categoryIds: readonly string[]): Promise<void> {
  await tx`
    INSERT INTO product_counts AS k (category_id, live)
    SELECT c.id, (SELECT count(*) FROM products p WHERE p.category_id = c.id AND NOT p.deleted
      AND NOT p.archived)
    FROM unnest(${categoryIds as string[]}::uuid[]) AS c(id)
    ON CONFLICT (category_id) DO UPDATE SET live = EXCLUDED.live`;
}
