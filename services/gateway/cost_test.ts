import assert from "node:assert/strict";
import { buildSchema, parse } from "graphql";
import { queryCost } from "./cost.ts";
import { typeDefs } from "./schema.ts";

const schema = buildSchema(typeDefs);
const options = { assumedListSize: 50, stopAbove: 1e12 };
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  queryCost(schema, { document: parse(query), variables }, options);

Deno.test("queryCost() counts every field once per item of each list around it", () => {
  // 1 (products) + 10 items x 2 fields.
  assert.equal(cost(`{ products(perPage: 10) { id name } }`), 21);
  assert.equal(cost(`{ products(perPage: 100) { id name } }`), 201);
  // perPage is clamped as the query service clamps it, and 20 when omitted.
  assert.equal(cost(`{ products(perPage: 100000) { id name } }`), 201);
  assert.equal(cost(`{ products { id name } }`), 41);
  // Each alias is answered on its own.
  assert.equal(cost(`{ a: products(perPage: 10) { id } b: products(perPage: 10) { id } }`), 22);
});

Deno.test("queryCost() takes page sizes from variables and input objects", () => {
  const q = `query($n: Int) { products(perPage: $n) { id } }`;
  assert.equal(cost(q, { n: 50 }), 51);
  assert.equal(cost(q, {}), 21);
  // A page type's list is as long as the page its field asked for; pageInfo is there once.
  assert.equal(
    cost(`{ productsPaginated(perPage: 30) { products { id } pageInfo { totalCount } } }`),
    1 + 1 + 30 + 1 + 1,
  );
  assert.equal(
    cost(
      `query($i: ProductSearchInput!) { searchProductsAdvanced(input: $i) { products { id } } }`,
      {
        i: { perPage: 5 },
      },
    ),
    1 + 1 + 5,
  );
  assert.equal(
    cost(`{ searchProductsAdvanced(input: {perPage: 7}) { products { id } } }`),
    1 + 1 + 7,
  );
  // The audit trail's limit is not clamped by the service: a large one costs what it asks.
  assert.equal(cost(`{ events(limit: 100000) { events { eventId } } }`), 1 + 1 + 100000);
});

Deno.test("queryCost() multiplies unpaged lists by their bound, or the assumed size", () => {
  // Order.items has at most 100; a category's path at most 5.
  assert.equal(cost(`{ order(id: "o") { items { productId } } }`), 1 + 1 + 100);
  assert.equal(cost(`{ category(id: "c") { path { id } } }`), 1 + 1 + 5);
  // Every category, and a category's products, have no bound: 50 each is assumed.
  assert.equal(cost(`{ categories { id products { id } } }`), 1 + 50 + 50 + 50 * 50);
});

Deno.test("queryCost() follows fragments with the multiplier where they are spread", () => {
  const inline = cost(`{ products(perPage: 10) { ... on Product { id name } } }`);
  const named = cost(
    `query { products(perPage: 10) { ...P } } fragment P on Product { id name }`,
  );
  assert.equal(inline, 21);
  assert.equal(named, 21);
  // Introspection costs nothing.
  assert.equal(cost(`{ __typename __schema { types { name } } }`), 0);
});

Deno.test("queryCost() stops counting once over the bound, even for a fragment bomb", () => {
  // 2^60 spreads if walked in full.
  const fragments = Array.from(
    { length: 60 },
    (_, i) => `fragment F${i} on Product { ...F${i + 1} ...F${i + 1} }`,
  ).join("\n");
  const query = `{ products { ...F0 } } ${fragments} fragment F60 on Product { id }`;
  const c = queryCost(schema, { document: parse(query) }, { assumedListSize: 50, stopAbove: 1000 });
  assert.ok(c > 1000 && c < 2000, `cost ${c}`);
});
