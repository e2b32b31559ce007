import type { ProductView } from "@proto/query/v1/contract.ts";
import { moneyText } from "../common/money.ts";

/** A `products` row as the queries select it (bigint columns arrive as strings). */
export interface ProductRow {
  id: string;
  name: string;
  description: string | null;
  price_cents: string;
  category_id: string;
  category_name: string | null;
  stock: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  archived: boolean;
}

/** Maps a row to its view: money as "19.99", absent optional fields unset, times ISO 8601. */
export function toProductView(r: ProductRow): ProductView {
  return {
    id: r.id,
    name: r.name,
    description: r.description ?? undefined,
    price: moneyText(r.price_cents),
    categoryId: r.category_id,
    categoryName: r.category_name ?? undefined,
    stock: r.stock,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    archived: r.archived,
  };
}
