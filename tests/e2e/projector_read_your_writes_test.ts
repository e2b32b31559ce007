/**
 * Read-your-writes through the gateway: a mutation answers with the position
 * of its last event (extensions.consistencyToken), and a query sent at once
 * with that token in X-Consistency-Token sees the write, every time.
 */
import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startStack } from "@shared/testing/e2e/stack.ts";

const ROUNDS = 1000;
const CLIENTS = 10;

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

Deno.test("a read sent at once with a mutation's consistency token is never stale (1,000 rounds)", async () => {
  const stack = await startStack();
  try {
    const gateway = await stack.gateway();
    const url = `http://127.0.0.1:${gateway.port}`;
    const staff = await bearer("clerk", ["staff"]);
    const category = await gql<Data>(
      url,
      `mutation { createCategory(input: {name: "Fresh"}) { id } }`,
      {},
      staff,
    );
    assert.equal(category.errors, undefined, JSON.stringify(category.errors));
    const categoryId = category.data!.createCategory.id;
    let stale = 0;
    let next = 0;
    const client = async () => {
      while (next < ROUNDS) {
        const n = next++;
        const name = `Read your writes ${n}`;
        const price = `${1 + (n % 500)}.${String(n % 100).padStart(2, "0")}`;
        const created = await gql<Data>(
          url,
          `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
          { i: { name, price, categoryId } },
          staff,
        );
        assert.equal(created.errors, undefined, JSON.stringify(created.errors));
        const token = created.extensions?.consistencyToken;
        assert.match(String(token), /^\d+:\d+$/);
        const read = await gql<Data>(
          url,
          `query ($id: ID!) { product(id: $id) { name price category { id } } }`,
          { id: created.data!.createProduct.id },
          { "x-consistency-token": String(token) },
        );
        assert.equal(read.errors, undefined, JSON.stringify(read.errors));
        const product = read.data!.product;
        if (product?.name !== name || product.price !== price) stale++;
        assert.equal(product?.category.id, categoryId);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    assert.equal(next, ROUNDS);
    assert.equal(stale, 0, `${stale} of ${ROUNDS} reads were stale`);
  } finally {
    await stack.stop();
  }
});
