import type { TxSql } from "@shared/db/connect.ts";
import type { InventoryEvent } from "@shared/domain/inventory/types.ts";
import type { ProductEvent } from "@shared/domain/product/types.ts";
import type postgres from "postgres";
import type { EventHandler, EventHandlers } from "../common/batch.ts";
import { centsOf } from "../common/money.ts";
import { records } from "../common/sql.ts";

const byProduct = (event: { data: { id: string } }) => String(event.data.id);

/**
 * Adds the per-category deltas of a statement's `delta(category_id, n, price,
 * stock, archived)` CTE to the counters: live products' count, price sum and
 * stock, and archived products' count. Deltas are taken only from rows a
 * statement really changed (their version was older), so a replay adds nothing.
 */
function addDeltas(tx: TxSql): postgres.PendingQuery<postgres.Row[]> {
  return tx`
    INSERT INTO stats_category_products AS s (category_id, product_count, price_sum_cents,
      stock_sum, archived_count)
    SELECT category_id, sum(n), sum(price), sum(stock), sum(archived) FROM delta
    GROUP BY category_id
    ON CONFLICT (category_id) DO UPDATE SET
      product_count = s.product_count + EXCLUDED.product_count,
      price_sum_cents = s.price_sum_cents + EXCLUDED.price_sum_cents,
      stock_sum = s.stock_sum + EXCLUDED.stock_sum,
      archived_count = s.archived_count + EXCLUDED.archived_count`;
}

/**
 * The delta rows of a product's share of its category's counters, times
 * `sign`, for the rows of `from` (a CTE with category_id, price_cents, stock
 * and archived): a live product counts with its price and stock, an archived
 * one only in the archived count.
 */
function shares(tx: TxSql, sign: 1 | -1, from: string): postgres.PendingQuery<postgres.Row[]> {
  return tx.unsafe(`
    SELECT category_id, CASE WHEN archived THEN 0 ELSE ${sign} END AS n,
      CASE WHEN archived THEN 0 ELSE ${sign} * price_cents END AS price,
      CASE WHEN archived THEN 0 ELSE ${sign} * stock END AS stock,
      CASE WHEN archived THEN ${sign} ELSE 0 END AS archived
    FROM ${from}`);
}

interface Change {
  id: unknown;
  version: number;
  price_cents: number | null;
  category_id: string | null;
}

/**
 * Applies price and category changes, moving the product's share between
 * counters: a live one's count, price and stock, an archived one's count.
 */
async function applyChanges(tx: TxSql, rows: Change[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${records(tx, rows)})
        AS x(id uuid, version int, price_cents bigint, category_id uuid)),
    before AS (
      SELECT p.category_id, p.price_cents, p.stock, p.archived FROM stats_products p
      JOIN input i ON p.id = i.id
      WHERE p.version < i.version AND NOT p.deleted),
    after AS (
      UPDATE stats_products p SET price_cents = coalesce(i.price_cents, p.price_cents),
        category_id = coalesce(i.category_id, p.category_id), version = i.version
      FROM input i WHERE p.id = i.id AND p.version < i.version
      RETURNING p.category_id, p.price_cents, p.stock, p.deleted, p.archived),
    delta AS (${shares(tx, -1, "before")} UNION ALL ${shares(tx, 1, "after WHERE NOT deleted")})
    ${addDeltas(tx)}`;
}

/**
 * Archives or restores products: an archived one takes its share out of the
 * counters (live count, prices, stock) and is counted apart; only rows whose
 * flag really flips move a counter, so a replay adds nothing.
 */
async function setArchived(
  tx: TxSql,
  archived: boolean,
  changes: [id: string, version: number][],
): Promise<void> {
  const rows = changes.map(([id, version]) => ({ id, version }));
  const sign = archived ? -1 : 1;
  await tx`
    WITH flipped AS (
      UPDATE stats_products p SET archived = ${archived}, version = x.version
      FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, version int)
      WHERE p.id = x.id AND p.version < x.version AND NOT p.deleted AND p.archived <> ${archived}
      RETURNING p.category_id, p.price_cents, p.stock),
    delta AS (
      SELECT category_id, ${sign}::int AS n, ${sign}::int * price_cents AS price,
        ${sign}::int * stock AS stock, -${sign}::int AS archived FROM flipped)
    ${addDeltas(tx)}`;
}

function stockHandler<E extends InventoryEvent>(
  stockOf: (data: E["data"]) => number,
): EventHandler<E> {
  return {
    key: (event) => String(event.data.productId),
    statement(tx, events) {
      const rows = events.map((e) => ({
        id: e.data.productId,
        stock: Number(stockOf(e.data)),
        version: e.version,
      }));
      return tx`
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(${records(tx, rows)})
            AS x(id uuid, stock bigint, version int)),
        before AS (
          SELECT p.category_id, p.stock FROM stats_products p JOIN input i ON p.id = i.id
          WHERE p.stock_version < i.version AND NOT p.deleted AND NOT p.archived),
        after AS (
          UPDATE stats_products p SET stock = i.stock, stock_version = i.version
          FROM input i WHERE p.id = i.id AND p.stock_version < i.version
          RETURNING p.category_id, p.stock, p.deleted, p.archived),
        delta AS (
          SELECT category_id, 0 AS n, 0::bigint AS price, -stock AS stock, 0 AS archived
          FROM before
          UNION ALL
          SELECT category_id, 0, 0::bigint, stock, 0 FROM after WHERE NOT deleted AND NOT archived)
        ${addDeltas(tx)}`;
    },
  };
}

/** Product and inventory events as the statistics need them: counts, price sums, stock. */
export const productStatisticsHandlers: EventHandlers<ProductEvent | InventoryEvent> = {
  ProductCreated: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return {
          id: d.id,
          category_id: d.categoryId,
          price_cents: centsOf(d.price, "ProductCreated.price"),
          version: e.version,
        };
      });
      return tx`
        WITH added AS (
          INSERT INTO stats_products (id, category_id, price_cents, version)
          SELECT id, category_id, price_cents, version
          FROM jsonb_to_recordset(${records(tx, rows)})
            AS x(id uuid, category_id uuid, price_cents bigint, version int)
          ON CONFLICT (id) DO NOTHING
          RETURNING category_id, price_cents, stock, archived),
        delta AS (${shares(tx, 1, "added")})
        ${addDeltas(tx)}`;
    },
  },
  ProductUpdated: {
    key: byProduct,
    apply: (tx, events) =>
      applyChanges(
        tx,
        events.flatMap((e) => {
          const { changes } = e.data;
          if (changes.price === undefined && changes.categoryId === undefined) return [];
          return [{
            id: e.data.id,
            version: e.version,
            price_cents: changes.price === undefined
              ? null
              : centsOf(changes.price, "ProductUpdated.price"),
            category_id: changes.categoryId ?? null,
          }];
        }),
      ),
  },
  ProductPriceChanged: {
    key: byProduct,
    apply: (tx, events) =>
      applyChanges(
        tx,
        events.map((e) => ({
          id: e.data.id,
          version: e.version,
          price_cents: centsOf(e.data.newPrice, "ProductPriceChanged.newPrice"),
          category_id: null,
        })),
      ),
  },
  ProductDeleted: {
    key: byProduct,
    statement(tx, events) {
      const rows = events.map((e) => ({ id: e.data.id, version: e.version }));
      return tx`
        WITH removed AS (
          UPDATE stats_products p SET deleted = true, version = x.version
          FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, version int)
          WHERE p.id = x.id AND p.version < x.version AND NOT p.deleted
          RETURNING p.category_id, p.price_cents, p.stock, p.archived),
        delta AS (${shares(tx, -1, "removed")})
        ${addDeltas(tx)}`;
    },
  },
  ProductArchived: {
    key: byProduct,
    apply: (tx, events) => setArchived(tx, true, events.map((e) => [e.data.id, e.version])),
  },
  ProductRestored: {
    key: byProduct,
    apply: (tx, events) => setArchived(tx, false, events.map((e) => [e.data.id, e.version])),
  },
  StockSet: stockHandler((d) => d.quantity),
  InventoryReserved: stockHandler((d) => d.available),
  InventoryReleased: stockHandler((d) => d.available),
  InventoryReservationFailed: stockHandler((d) => d.available),
};
