import type {
  CategoryProductStatistics,
  CategoryStatistics,
  OrderStats,
  ProductStatistics,
} from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";
import { ORDER_STATUSES } from "@shared/domain/order/status.ts";
import { averageText, moneyText } from "../common/money.ts";

const INT32_MAX = 2_147_483_647;

/** A count as the contract's int32 carries it (bigint and numeric columns arrive as strings). */
function int32(value: string | number | null | undefined): number {
  return Math.min(INT32_MAX, Number(value ?? 0));
}

/** How many live categories there are, how deep they go, how many hold live products. */
export async function getCategoryStatistics(sql: Sql): Promise<CategoryStatistics> {
  const [r] = await sql<{ total: string; roots: string; max_depth: number; stocked: string }[]>`
    SELECT count(*) AS total,
      count(*) FILTER (WHERE c.parent_id IS NULL) AS roots,
      coalesce(max(c.depth), 0) AS max_depth,
      count(*) FILTER (WHERE s.product_count > 0) AS stocked
    FROM stats_categories c
    LEFT JOIN stats_category_products s ON s.category_id = c.id
    WHERE NOT c.deleted`;
  const total = int32(r?.total);
  const withProducts = int32(r?.stocked);
  return {
    totalCategories: total,
    rootCategories: int32(r?.roots),
    maxDepth: r?.max_depth ?? 0,
    categoriesWithProducts: withProducts,
    emptyCategories: total - withProducts,
  };
}

/**
 * The live products' count, average (half-up to cents), lowest and highest
 * price, and stock; archived products are left out of those and counted apart.
 */
export async function getProductStatistics(sql: Sql): Promise<ProductStatistics> {
  const [r] = await sql<
    {
      count: string;
      price_sum: string;
      stock: string;
      min: string | null;
      max: string | null;
      archived: string;
    }[]
  >`
    SELECT coalesce(sum(product_count), 0) AS count,
      coalesce(sum(price_sum_cents), 0) AS price_sum,
      coalesce(sum(stock_sum), 0) AS stock,
      (SELECT min(price_cents) FROM stats_products WHERE NOT deleted AND NOT archived) AS min,
      (SELECT max(price_cents) FROM stats_products WHERE NOT deleted AND NOT archived) AS max,
      coalesce(sum(archived_count), 0) AS archived
    FROM stats_category_products`;
  return {
    count: int32(r?.count),
    averagePrice: averageText(r?.price_sum ?? 0, r?.count ?? 0),
    minPrice: r?.min == null ? undefined : moneyText(r.min),
    maxPrice: r?.max == null ? undefined : moneyText(r.max),
    totalStock: int32(r?.stock),
    archivedCount: int32(r?.archived),
  };
}

/** The live products of one category (its own, not its subcategories'): count and prices. */
export async function getCategoryProductStatistics(
  sql: Sql,
  categoryId: string,
): Promise<CategoryProductStatistics> {
  const [r] = await sql<
    {
      name: string | null;
      count: string | null;
      price_sum: string | null;
      min: string | null;
      max: string | null;
    }[]
  >`
    SELECT c.name, s.product_count AS count, s.price_sum_cents AS price_sum,
      (SELECT min(price_cents) FROM stats_products
        WHERE category_id = k.id AND NOT deleted AND NOT archived) AS min,
      (SELECT max(price_cents) FROM stats_products
        WHERE category_id = k.id AND NOT deleted AND NOT archived) AS max
    FROM (SELECT ${categoryId}::uuid AS id) k
    LEFT JOIN stats_categories c ON c.id = k.id AND NOT c.deleted
    LEFT JOIN stats_category_products s ON s.category_id = k.id`;
  return {
    categoryId,
    categoryName: r?.name ?? undefined,
    productCount: int32(r?.count),
    averagePrice: averageText(r?.price_sum ?? 0, r?.count ?? 0),
    minPrice: r?.min == null ? undefined : moneyText(r.min),
    maxPrice: r?.max == null ? undefined : moneyText(r.max),
  };
}

/** Orders by status, revenue and average order value. */
export async function getOrderStats(sql: Sql): Promise<OrderStats> {
  const rows = await sql<{ status: string; order_count: string; total_cents: string }[]>`
    SELECT status, order_count, total_cents FROM stats_order_status`;
  const by = new Map(rows.map((r) => [r.status, r]));
  let orders = 0n, kept = 0n, revenue = 0n;
  for (const r of rows) {
    orders += BigInt(r.order_count);
    if (r.status !== "cancelled") {
      kept += BigInt(r.order_count);
      revenue += BigInt(r.total_cents);
    }
  }
  const known = new Set<string>(ORDER_STATUSES);
  const statuses = [...ORDER_STATUSES, ...rows.map((r) => r.status).filter((s) => !known.has(s))];
  return {
    totalOrders: int32(orders.toString()),
    byStatus: statuses.map((status) => ({
      status,
      count: int32(by.get(status)?.order_count),
    })),
    totalRevenue: moneyText(revenue),
    averageOrderValue: averageText(revenue, kept),
  };
}
