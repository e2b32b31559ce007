/**
 * A floor of the end-to-end benchmark: Deno.serve and postgres.js, one
 * INSERT per POST, no GraphQL: the HTTP server and the client library alone.
 *
 * Env: PORT, WRITE_DATABASE_URL (the table `bench_floor_products` is made there).
 */
import { connect } from "@shared/db/connect.ts";

const write = connect(Deno.env.get("WRITE_DATABASE_URL")!, { max: 10, applicationName: "floor" });
await write`CREATE TABLE IF NOT EXISTS bench_floor_products (
  id uuid PRIMARY KEY, name text NOT NULL, price_cents bigint NOT NULL, category_id uuid NOT NULL)`;

Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")), onListen: () => {} },
  async (req) => {
    const body = await req.json() as {
      variables?: { input?: { name?: string; price?: string; categoryId?: string } };
    };
    const input = body.variables?.input ?? {};
    const id = crypto.randomUUID();
    const cents = Math.round(Number(input.price ?? 0) * 100);
    await write`INSERT INTO bench_floor_products (id, name, price_cents, category_id)
    VALUES (${id}, ${input.name ?? ""}, ${cents}, ${input.categoryId ?? crypto.randomUUID()})`;
    return Response.json({ data: { createProduct: { id, name: input.name, price: input.price } } });
  },
);
console.log("ready");
