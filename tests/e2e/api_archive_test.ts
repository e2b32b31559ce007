import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";
import { sseSubscribe } from "@shared/testing/sse.ts";
import { startTestSystem } from "@shared/testing/system.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

function ok<D>(res: GraphQLResponse<D>): D {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

function refused(res: GraphQLResponse, code: string, pattern: RegExp): void {
  const error = res.errors?.[0];
  assert.equal(error?.extensions?.code, code, JSON.stringify(res));
  assert.match(error!.message, pattern);
}

const LISTS = `{
  products(perPage: 100) { id }
  searchProducts(searchTerm: "Lamp") { id }
  productsByCategory(categoryId: $c) { id }
  productsByPriceRange(minPrice: "1.00", maxPrice: "100.00") { id }
  productStatistics { count minPrice maxPrice archivedCount }
}`;

Deno.test("archiving a product through GraphQL: out of the catalogue and orders, readable by id, restorable", async (t) => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  const url = system.gatewayUrl;
  // Staff archive and restore (docs/security.md); every request reads its own writes.
  const staff = await bearer("shop-staff", ["staff"]);
  let token: string | undefined;
  const run = async <D = Data>(query: string, variables: Record<string, unknown> = {}) => {
    const res = await gql<D>(url, query, variables, {
      ...staff,
      ...(token ? { "x-consistency-token": token } : {}),
    });
    const next = res.extensions?.consistencyToken;
    if (typeof next === "string") token = next;
    return res;
  };
  const lists = async (categoryId: string) =>
    ok(await run(`query ($c: ID!) ${LISTS}`, { c: categoryId }));
  const ids = (list: { id: string }[]) => list.map((p) => p.id).sort();
  const order = (productId: string) =>
    run(`mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`, {
      i: {
        customerId: crypto.randomUUID(),
        items: [{ productId, quantity: 1 }],
        shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
      },
    });

  try {
    const { createCategory: lights } = ok(
      await run(`mutation { createCategory(input: {name: "Lights"}) { id } }`),
    );
    const create = async (name: string, price: string) =>
      ok(
        await run(
          `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id archived } }`,
          { i: { name, price, categoryId: lights.id } },
        ),
      ).createProduct;
    const desk = await create("Desk Lamp", "20.00");
    const floor = await create("Floor Lamp", "80.00");
    assert.equal(floor.archived, false);

    await t.step("archiveProduct takes it out of every list and the live statistics", async () => {
      const { archiveProduct } = ok(
        await run(`mutation { archiveProduct(input: {id: "${floor.id}"}) { id name archived } }`),
      );
      assert.deepEqual(archiveProduct, { id: floor.id, name: "Floor Lamp", archived: true });
      const after = await lists(lights.id);
      assert.deepEqual(ids(after.products), [desk.id]);
      assert.deepEqual(ids(after.searchProducts), [desk.id]);
      assert.deepEqual(ids(after.productsByCategory), [desk.id]);
      assert.deepEqual(ids(after.productsByPriceRange), [desk.id]);
      assert.deepEqual(after.productStatistics, {
        count: 1,
        minPrice: "20.00",
        maxPrice: "20.00",
        archivedCount: 1,
      });
    });

    await t.step("product(id) still reads it, with archived true", async () => {
      const { product } = ok(
        await run(`query { product(id: "${floor.id}") { id price archived } }`),
      );
      assert.deepEqual(product, { id: floor.id, price: "80.00", archived: true });
    });

    await t.step("an order of it is refused, naming the product; nothing is written", async () => {
      refused(await order(floor.id), "PRECONDITION", /product "Floor Lamp": it is archived/);
      const rows = await system.db.eventStore`
        SELECT count(*)::int AS n FROM events WHERE event_type = 'OrderCreated'`;
      assert.equal(rows[0]?.n, 0);
    });

    await t.step(
      "archiving it again, or restoring a live one, is a PRECONDITION error",
      async () => {
        refused(
          await run(`mutation { archiveProduct(input: {id: "${floor.id}"}) { id } }`),
          "PRECONDITION",
          /Cannot archive product "Floor Lamp": it is already archived/,
        );
        refused(
          await run(`mutation { restoreProduct(input: {id: "${desk.id}"}) { id } }`),
          "PRECONDITION",
          /Cannot restore product "Desk Lamp": it is not archived/,
        );
      },
    );

    await t.step("a customer may not archive", async () => {
      const res = await gql(
        url,
        `mutation { archiveProduct(input: {id: "${desk.id}"}) { id } }`,
        {},
        await bearer(crypto.randomUUID(), ["customer"]),
      );
      assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN", JSON.stringify(res));
    });

    await t.step("restoreProduct brings it back to the lists, statistics and orders", async () => {
      const { restoreProduct } = ok(
        await run(`mutation { restoreProduct(input: {id: "${floor.id}"}) { id archived } }`),
      );
      assert.deepEqual(restoreProduct, { id: floor.id, archived: false });
      const after = await lists(lights.id);
      const both = [desk.id, floor.id].sort();
      assert.deepEqual(ids(after.products), both);
      assert.deepEqual(ids(after.searchProducts), both);
      assert.deepEqual(ids(after.productsByCategory), both);
      assert.deepEqual(ids(after.productsByPriceRange), both);
      assert.deepEqual(after.productStatistics, {
        count: 2,
        minPrice: "20.00",
        maxPrice: "80.00",
        archivedCount: 0,
      });
      ok(await order(floor.id));
    });

    await t.step("productUpdated(id) subscribers see the archive and the restore", async () => {
      const live = await sseSubscribe(
        url,
        `subscription ($id: ID) { productUpdated(id: $id) { id archived } }`,
        { id: desk.id },
        staff,
      );
      try {
        ok(await run(`mutation { archiveProduct(input: {id: "${desk.id}"}) { id } }`));
        assert.deepEqual(await live.next(), { productUpdated: { id: desk.id, archived: true } });
        ok(await run(`mutation { restoreProduct(input: {id: "${desk.id}"}) { id } }`));
        assert.deepEqual(await live.next(), { productUpdated: { id: desk.id, archived: false } });
      } finally {
        await live.close();
      }
    });
  } finally {
    await system.close();
  }
});
