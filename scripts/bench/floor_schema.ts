/**
 * The GraphQL side of the end-to-end benchmark's floors: graphql-yoga on
 * Deno.serve (on PORT) with the smallest schema that answers the benchmark's
 * operations, resolved by the floor's own `product` and `createProduct`.
 */
import { createSchema, createYoga } from "graphql-yoga";
import type { FloorInput, FloorProduct } from "./floor_data.ts";

const typeDefs = /* GraphQL */ `
  type Category { name: String }
  type Product { id: ID! name: String! price: String! stock: Int! category: Category }
  input CreateProductInput { name: String! price: String! categoryId: ID! description: String }
  type Query { product(id: ID!): Product }
  type Mutation { createProduct(input: CreateProductInput!): Product! }
`;

/** Serves the floors' schema with these two operations; prints "ready" once listening. */
export function serveFloor(operations: {
  product(id: string): Promise<FloorProduct | null>;
  createProduct(input: FloorInput): Promise<FloorProduct>;
}): void {
  const yoga = createYoga({
    logging: false,
    graphiql: false,
    schema: createSchema({
      typeDefs,
      resolvers: {
        Query: { product: (_: unknown, { id }: { id: string }) => operations.product(id) },
        Mutation: {
          createProduct: (_: unknown, { input }: { input: FloorInput }) =>
            operations.createProduct(input),
        },
      },
    }),
  });
  Deno.serve(
    { hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")), onListen: () => {} },
    yoga,
  );
  console.log("ready");
}
