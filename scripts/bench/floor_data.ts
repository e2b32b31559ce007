/**
 * The data of the end-to-end benchmark's floors, one statement per
 * operation: `createProduct` one INSERT, `product(id)` one SELECT of the
 * read model's row (its category name is on the row).
 *
 * Env: WRITE_DATABASE_URL (the table `bench_floor_products` is made there),
 * READ_DATABASE_URL (a read model).
 */
import { connect } from "@shared/db/connect.ts";

/** A product as the floors answer it. */
export interface FloorProduct {
  id: string;
  name: string;
  price: string;
  stock: number;
  category: { name: string | null } | null;
}

/** The new product of `createProduct`. */
export interface FloorInput {
  name: string;
  price: string;
  categoryId: string;
}

/** The floors' two operations, on the databases the environment names. */
export async function floorData(): Promise<{
  product(id: string): Promise<FloorProduct | null>;
  createProduct(input: FloorInput): Promise<FloorProduct>;
}> {
  const write = connect(Deno.env.get("WRITE_DATABASE_URL")!, { max: 10, applicationName: "floor" });
  const read = connect(Deno.env.get("READ_DATABASE_URL")!, { max: 10, applicationName: "floor" });
  await write`CREATE TABLE IF NOT EXISTS bench_floor_products (
    id uuid PRIMARY KEY, name text NOT NULL, price_cents bigint NOT NULL, category_id uuid NOT NULL)`;
  const money = (cents: number | string) => (Number(cents) / 100).toFixed(2);
  return {
    async product(id) {
      const [row] = await read<
        { id: string; name: string; price_cents: string; stock: number; category_name: string }[]
      >`SELECT id, name, price_cents, stock, category_name FROM product_rows WHERE id = ${id}`;
      return row
        ? {
          id: row.id,
          name: row.name,
          price: money(row.price_cents),
          stock: row.stock,
          category: { name: row.category_name },
        }
        : null;
    },
    async createProduct(input) {
      const id = crypto.randomUUID();
      const cents = Math.round(Number(input.price) * 100);
      await write`INSERT INTO bench_floor_products (id, name, price_cents, category_id)
        VALUES (${id}, ${input.name}, ${cents}, ${input.categoryId})`;
      return { id, name: input.name, price: money(cents), stock: 0, category: null };
    },
  };
}
