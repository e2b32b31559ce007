/**
 * A floor of the end-to-end benchmark: graphql-yoga on Deno.serve with the
 * smallest schema that answers the benchmark's operations, each with one
 * statement: `createProduct` one INSERT, `product(id)` one SELECT of the
 * read model's row (its category name is on the row). What the system's
 * gateway could do with no hop, no event store and no projection.
 *
 * Env: PORT, WRITE_DATABASE_URL (the table `bench_floor_products` is made
 * there), READ_DATABASE_URL (a read model).
 */
import { createSchema, createYoga } from "graphql-yoga";
import { connect } from "@shared/db/connect.ts";

const write = connect(Deno.env.get("WRITE_DATABASE_URL")!, { max: 10, applicationName: "floor" });
const read = connect(Deno.env.get("READ_DATABASE_URL")!, { max: 10, applicationName: "floor" });
await write`CREATE TABLE IF NOT EXISTS bench_floor_products (
  id uuid PRIMARY KEY, name text NOT NULL, price_cents bigint NOT NULL, category_id uuid NOT NULL)`;

const money = (cents: number | string) => (Number(cents) / 100).toFixed(2);

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs: /* GraphQL */ `
      type Category { name: String }
      type Product { id: ID! name: String! price: String! stock: Int! category: Category }
      input CreateProductInput { name: String! price: String! categoryId: ID! description: String }
      type Query { product(id: ID!): Product }
      type Mutation { createProduct(input: CreateProductInput!): Product! }
    `,
    resolvers: {
      Query: {
        product: async (_: unknown, { id }: { id: string }) => {
          const [row] = await read<
            {
              id: string;
              name: string;
              price_cents: string;
              stock: number;
              category_name: string;
            }[]
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
      },
      Mutation: {
        createProduct: async (
          _: unknown,
          { input }: { input: { name: string; price: string; categoryId: string } },
        ) => {
          const id = crypto.randomUUID();
          const cents = Math.round(Number(input.price) * 100);
          await write`INSERT INTO bench_floor_products (id, name, price_cents, category_id)
            VALUES (${id}, ${input.name}, ${cents}, ${input.categoryId})`;
          return { id, name: input.name, price: money(cents), stock: 0, category: null };
        },
      },
    },
  }),
});

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")), onListen: () => {} }, yoga);
console.log("ready");
