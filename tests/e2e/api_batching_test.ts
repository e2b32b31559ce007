import assert from "node:assert/strict";
import { signToken } from "../../services/gateway/auth.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startStack } from "@shared/testing/e2e/stack.ts";

/** Counts the calls made through every method of the gateway's query clients. */
function countCalls(clients: Record<string, unknown>, names: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) {
    const client = clients[name] as Record<string, unknown>;
    for (const [method, fn] of Object.entries(client)) {
      if (typeof fn !== "function" || method === "close") continue;
      client[method] = (...args: unknown[]) => {
        const key = `${name}.${method}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    }
  }
  return counts;
}

Deno.test("nested lists cost a bounded number of gRPC calls, whatever their size", async () => {
  const stack = await startStack();
  try {
    const { gateway, port } = await stack.gateway({ cache: false });
    const url = `http://127.0.0.1:${port}`;
    let token = "";
    const staff = await bearer("clerk", ["staff"]);
    const run = async (query: string) => {
      const res = await gql<Record<string, unknown>>(
        url,
        query,
        {},
        { ...staff, ...(token ? { "x-consistency-token": token } : {}) },
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      if (typeof res.extensions?.consistencyToken === "string") {
        token = res.extensions.consistencyToken;
      }
      return res.data!;
    };
    const calls: number[] = [];
    for (const size of [2, 6]) {
      for (let i = calls.length * 10; i < calls.length * 10 + size; i++) {
        const c = await run(`mutation { createCategory(input: {name: "C${i}"}) { id } }`) as {
          createCategory: { id: string };
        };
        for (let j = 0; j < 2; j++) {
          await run(
            `mutation { createProduct(input: {name: "P${i}-${j}", price: "1.00", categoryId: "${c.createCategory.id}"}) { id } }`,
          );
        }
      }
      const counts = countCalls(gateway.clients as unknown as Record<string, unknown>, [
        "categoryQueries",
        "productQueries",
      ]);
      const data = await run(`{ categories { name products { name category { name } } } }`) as {
        categories: { name: string; products: { category: { name: string } }[] }[];
      };
      assert.ok(data.categories.every((c) => c.products.every((p) => p.category.name === c.name)));
      calls.push([...counts.values()].reduce((a, b) => a + b, 0));
      // A product's category name is on the product: no call for the categories again.
      assert.deepEqual([...counts.keys()].sort(), [
        "categoryQueries.listCategories",
        "productQueries.getProductsByCategoryIds",
      ]);
    }
    // 2 categories with 4 products, then 8 categories with 16: the same two calls.
    assert.deepEqual(calls, [2, 2]);
    // Asking more of a product's category than its name loads the categories, in one call.
    const more = countCalls(gateway.clients as unknown as Record<string, unknown>, [
      "categoryQueries",
      "productQueries",
    ]);
    const counted = await run(`{ categories { products { category { name productCount } } } }`) as {
      categories: { products: { category: { productCount: number } }[] }[];
    };
    assert.ok(
      counted.categories.every((c) => c.products.every((p) => p.category.productCount === 2)),
    );
    assert.deepEqual([...more].sort(), [
      ["categoryQueries.getCategoriesByIds", 1],
      ["categoryQueries.listCategories", 1],
      ["productQueries.getProductsByCategoryIds", 1],
    ]);

    // A product mutation answers from its command's result: no read of the read model,
    // unless it asks for what the command does not know (the stock of an updated product).
    const counts = countCalls(gateway.clients as unknown as Record<string, unknown>, [
      "productQueries",
    ]);
    const category = (await run(`{ categories { id } }`) as { categories: { id: string }[] })
      .categories[0]!.id;
    const created = await run(
      `mutation { createProduct(input: {name: "Direct", price: "2.50", categoryId: "${category}"}) { id name price stock } }`,
    ) as { createProduct: { id: string; name: string; price: string; stock: number } };
    assert.deepEqual({ ...created.createProduct, id: "" }, {
      id: "",
      name: "Direct",
      price: "2.50",
      stock: 0,
    });
    await run(
      `mutation { updateProduct(input: {id: "${created.createProduct.id}", price: "3.00"}) { price } }`,
    );
    assert.equal(counts.size, 0, JSON.stringify([...counts]));
    const updated = await run(
      `mutation { updateProduct(input: {id: "${created.createProduct.id}", price: "3.50"}) { price stock } }`,
    ) as { updateProduct: { price: string; stock: number } };
    assert.deepEqual(updated.updateProduct, { price: "3.50", stock: 0 });
    assert.deepEqual([...counts], [["productQueries.getProductsByIds", 1]]);
  } finally {
    await stack.stop();
  }
});

Deno.test("the audit trail is for admins: UNAUTHENTICATED, FORBIDDEN, then the events", async () => {
  const stack = await startStack();
  try {
    const { port } = await stack.gateway();
    const url = `http://127.0.0.1:${port}`;
    const secret = "development-only-secret-do-not-use-in-production";
    const created = await gql<{ createCategory: { id: string } }>(
      url,
      `mutation { createCategory(input: {name: "Audited"}) { id } }`,
      {},
      {
        "x-correlation-id": "audit-1",
        "x-user-id": "mallory",
        ...(await bearer("clerk", ["staff"])),
      },
    );
    const id = created.data!.createCategory.id;
    const query =
      `{ events(aggregateId: "${id}") { events { type aggregateId version data metadata } nextAfter } }`;

    const anonymous = await gql(url, query);
    assert.equal(anonymous.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    const user = await signToken({ sub: "bob", roles: [] }, { secret });
    const forbidden = await gql(url, query, {}, { authorization: `Bearer ${user}` });
    assert.equal(forbidden.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const forged = await signToken({ sub: "eve", roles: ["admin"] }, { secret: "x".repeat(40) });
    const refused = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query }),
    });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).errors[0].extensions.code, "UNAUTHENTICATED");

    const admin = await signToken({ sub: "alice", roles: ["admin"] }, { secret });
    const res = await gql<{
      events: {
        events: {
          type: string;
          aggregateId: string;
          version: number;
          data: string;
          metadata: string;
        }[];
      };
    }>(url, query, {}, { authorization: `Bearer ${admin}` });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const [event] = res.data!.events.events;
    assert.equal(event?.type, "CategoryCreated");
    assert.equal(event?.version, 1);
    assert.equal(JSON.parse(event!.data).name, "Audited");
    const metadata = JSON.parse(event!.metadata);
    assert.equal(metadata.correlationId, "audit-1");
    // Who did it comes from the verified token the gateway forwarded, never from a header.
    assert.equal(metadata.userId, "clerk");
    assert.deepEqual(metadata.roles, ["staff"]);
    assert.match(metadata.commandId, /^[0-9a-f-]{36}$/);
  } finally {
    await stack.stop();
  }
});
