import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

function ok<D>(res: GraphQLResponse<D>): D {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

function refused(res: GraphQLResponse, code: string, pattern?: RegExp): void {
  const error = res.errors?.[0];
  assert.equal(error?.extensions?.code, code, JSON.stringify(res));
  if (pattern) assert.match(error!.message, pattern);
}

const CATEGORY = "id name description depth path { name } parent { id name } productCount";
const PRODUCT = "id name description price stock category { id name }";

Deno.test("the catalogue API: every category and product mutation and query through GraphQL", async (t) => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  const { db } = system;
  const url = system.gatewayUrl;
  // Like a client that reads its own writes: every request carries the last mutation's token.
  let token: string | undefined;
  // An admin keeps the catalogue (deletes included); who may do what is tested in api_orders_test.
  const admin = await bearer("catalogue-admin", ["admin"]);
  const run = async <D = Data>(query: string, variables: Record<string, unknown> = {}) => {
    const res = await gql<D>(url, query, variables, {
      ...admin,
      ...(token ? { "x-consistency-token": token } : {}),
    });
    const next = res.extensions?.consistencyToken;
    if (typeof next === "string") token = next;
    return res;
  };
  const createCategory = async (input: Record<string, unknown>) =>
    ok(
      await run(
        `mutation ($i: CreateCategoryInput!) { createCategory(input: $i) { ${CATEGORY} } }`,
        { i: input },
      ),
    )
      .createCategory;
  const createProduct = async (input: Record<string, unknown>) =>
    ok(
      await run(`mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${PRODUCT} } }`, {
        i: input,
      }),
    )
      .createProduct;
  const eventCount = async () =>
    Number((await db.eventStore`SELECT count(*)::int AS n FROM events`)[0]!.n);

  try {
    let shoes: Data = {}, running: Data = {}, trail: Data = {}, apparel: Data = {};
    await t.step("createCategory builds a tree with paths and depths", async () => {
      shoes = await createCategory({ name: "Shoes", description: "Footwear" });
      running = await createCategory({ name: "Running", parentId: shoes.id });
      trail = await createCategory({ name: "Trail", parentId: running.id });
      apparel = await createCategory({ name: "Apparel" });
      assert.equal(trail.depth, 3);
      assert.deepEqual(trail.path.map((p: Data) => p.name), ["Shoes", "Running", "Trail"]);
      assert.equal(trail.parent.id, running.id);
    });

    await t.step(
      "category rules are refused with their codes, and nothing is appended",
      async () => {
        const before = await eventCount();
        refused(
          await run(
            `mutation { createCategory(input: {name: "running", parentId: "${shoes.id}"}) { id } }`,
          ),
          "CONFLICT",
          /sibling/i,
        );
        refused(
          await run(`mutation { createCategory(input: {name: "${"n".repeat(101)}"}) { id } }`),
          "VALIDATION",
          /^name:/,
        );
        refused(
          await run(
            `mutation { createCategory(input: {name: "X", parentId: "${crypto.randomUUID()}"}) { id } }`,
          ),
          "NOT_FOUND",
        );
        let parent = trail.id;
        const d4 = await createCategory({ name: "D4", parentId: parent });
        const d5 = await createCategory({ name: "D5", parentId: d4.id });
        assert.equal(d5.depth, 5);
        parent = d5.id;
        const after5 = await eventCount();
        refused(
          await run(
            `mutation { createCategory(input: {name: "D6", parentId: "${parent}"}) { id } }`,
          ),
          "PRECONDITION",
          /depth/i,
        );
        refused(
          await run(
            `mutation { updateCategory(input: {id: "${shoes.id}", parentId: "${trail.id}"}) { id } }`,
          ),
          "PRECONDITION",
          /cycle/i,
        );
        assert.equal(await eventCount(), after5);
        assert.ok(after5 > before);
      },
    );

    await t.step("updateCategory renames and moves; descendants' paths follow", async () => {
      const renamed = ok(
        await run(
          `mutation { updateCategory(input: {id: "${shoes.id}", name: "Footwear"}) { name } }`,
        ),
      );
      assert.equal(renamed.updateCategory.name, "Footwear");
      const moved = ok(
        await run(
          `mutation { updateCategory(input: {id: "${running.id}", parentId: "${apparel.id}"}) { depth path { name } } }`,
        ),
      );
      assert.deepEqual(moved.updateCategory.path.map((p: Data) => p.name), ["Apparel", "Running"]);
      // Read at the last mutation's position: the descendants' paths have followed.
      const child = ok(await run(`{ category(id: "${trail.id}") { depth path { name } } }`));
      assert.deepEqual(child.category.path.map((p: Data) => p.name), [
        "Apparel",
        "Running",
        "Trail",
      ]);
      assert.equal(child.category.depth, 3);
    });

    let shoe: Data = {};
    await t.step("products: create, read, update, stock, search, ranges and pages", async () => {
      shoe = await createProduct({
        name: "Trail Runner",
        price: "120.00",
        categoryId: trail.id,
        description: "Grippy",
      });
      assert.equal(shoe.price, "120.00");
      assert.equal(shoe.category.id, trail.id);
      for (let i = 1; i <= 5; i++) {
        await createProduct({
          name: `Road Runner ${i}`,
          price: `${i}0.50`,
          categoryId: running.id,
        });
      }
      refused(
        await run(
          `mutation { createProduct(input: {name: "Free", price: "0.00", categoryId: "${trail.id}"}) { id } }`,
        ),
        "VALIDATION",
        /^price:/,
      );
      refused(
        await run(
          `mutation { createProduct(input: {name: "Big", price: "1000000.00", categoryId: "${trail.id}"}) { id } }`,
        ),
        "VALIDATION",
        /^price:/,
      );
      refused(
        await run(
          `mutation { createProduct(input: {name: "Lost", price: "1.00", categoryId: "${crypto.randomUUID()}"}) { id } }`,
        ),
        "NOT_FOUND",
      );

      const stocked = ok(
        await run(`mutation { setStock(input: {productId: "${shoe.id}", quantity: 7}) { stock } }`),
      );
      assert.equal(stocked.setStock.stock, 7);
      const updated = ok(
        await run(
          `mutation { updateProduct(input: {id: "${shoe.id}", price: "99.99", changeReason: "sale"}) { price } }`,
        ),
      );
      assert.equal(updated.updateProduct.price, "99.99");

      const reads = ok(
        await run(`{
        product(id: "${shoe.id}") { name price stock }
        productByName(name: "Trail Runner") { id }
        productExists(id: "${shoe.id}")
        missing: productExists(id: "${crypto.randomUUID()}")
        searchProducts(searchTerm: "road") { name }
        productsByCategory(categoryId: "${running.id}") { name }
        productsByPriceRange(minPrice: "20.50", maxPrice: "40.50") { price }
        productsPaginated(page: 2, perPage: 4) { products { name } pageInfo { page perPage totalCount hasNext } }
        products(perPage: 2) { id }
        productStatistics { count minPrice maxPrice averagePrice totalStock }
        searchProductsAdvanced(input: {text: "runner", sort: "price_desc", perPage: 2}) { products { price } pageInfo { totalCount hasNext } }
      }`),
      );
      assert.deepEqual(reads.product, { name: "Trail Runner", price: "99.99", stock: 7 });
      assert.equal(reads.productByName.id, shoe.id);
      assert.equal(reads.productExists, true);
      assert.equal(reads.missing, false);
      assert.equal(reads.searchProducts.length, 5);
      assert.equal(reads.productsByCategory.length, 5);
      assert.deepEqual(reads.productsByPriceRange.map((p: Data) => p.price).sort(), [
        "20.50",
        "30.50",
        "40.50",
      ]);
      assert.deepEqual(reads.productsPaginated.pageInfo, {
        page: 2,
        perPage: 4,
        totalCount: 6,
        hasNext: false,
      });
      assert.equal(reads.productsPaginated.products.length, 2);
      assert.equal(reads.products.length, 2);
      assert.deepEqual(reads.productStatistics, {
        count: 6,
        minPrice: "10.50",
        maxPrice: "99.99",
        averagePrice: "42.08",
        totalStock: 7,
      });
      assert.equal(reads.searchProductsAdvanced.products[0].price, "99.99");
      assert.deepEqual(reads.searchProductsAdvanced.pageInfo, { totalCount: 6, hasNext: true });
    });

    await t.step(
      "a product mutation answers with exactly what a read at its position returns",
      async () => {
        const FULL = "id name description price stock createdAt updatedAt category { id name }";
        const read = async (id: string) =>
          ok(await run(`{ product(id: "${id}") { ${FULL} } }`)).product;
        const created = ok(
          await run(`mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${FULL} } }`, {
            i: { name: "Answered", price: "12.30", categoryId: trail.id },
          }),
        ).createProduct;
        assert.deepEqual(created, await read(created.id));
        assert.equal(created.stock, 0);
        assert.equal(created.description, null);
        // Timestamps are ISO 8601 in UTC.
        assert.match(created.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        assert.equal(created.updatedAt, created.createdAt);

        ok(
          await run(
            `mutation { setStock(input: {productId: "${created.id}", quantity: 3}) { stock } }`,
          ),
        );
        const updated = ok(
          await run(
            `mutation { updateProduct(input: {id: "${created.id}", name: "Answered again", price: "15.00", description: "New"}) { ${FULL} } }`,
          ),
        ).updateProduct;
        // Stock and creation time, which the command does not know, come from the read model.
        assert.equal(updated.stock, 3);
        assert.equal(updated.createdAt, created.createdAt);
        assert.deepEqual(updated, await read(created.id));

        // A replayed request (same Idempotency-Key) appends nothing and answers the same.
        const key = crypto.randomUUID();
        const again = async () =>
          ok(
            await gql<Data>(
              url,
              `mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${FULL} } }`,
              { i: { name: "Once", price: "1.00", categoryId: trail.id } },
              { "idempotency-key": key, ...admin },
            ),
          ).createProduct;
        const first = await again();
        const events = await eventCount();
        assert.deepEqual(await again(), first);
        assert.equal(await eventCount(), events);
      },
    );

    await t.step(
      "category queries: by name, search, pages, tree, statistics, existence",
      async () => {
        const reads = ok(
          await run(`{
        categoryByName(name: "Apparel") { id children { name } }
        searchCategories(searchTerm: "foot") { name }
        categoriesPaginated(page: 1, perPage: 2) { categories { name } pageInfo { totalCount hasNext } }
        categoryTree { category { name } children { category { name } } }
        categoryStatistics { totalCategories rootCategories maxDepth }
        categoryExists(id: "${trail.id}")
        categories { name products { name category { name } } }
      }`),
        );
        assert.equal(reads.categoryByName.id, apparel.id);
        assert.deepEqual(reads.categoryByName.children.map((c: Data) => c.name), ["Running"]);
        assert.deepEqual(reads.searchCategories.map((c: Data) => c.name), ["Footwear"]);
        assert.equal(reads.categoriesPaginated.pageInfo.totalCount, 6);
        assert.equal(reads.categoriesPaginated.pageInfo.hasNext, true);
        assert.deepEqual(reads.categoryTree.map((n: Data) => n.category.name).sort(), [
          "Apparel",
          "Footwear",
        ]);
        assert.equal(reads.categoryStatistics.totalCategories, 6);
        assert.equal(reads.categoryStatistics.rootCategories, 2);
        assert.equal(reads.categoryStatistics.maxDepth, 5);
        assert.equal(reads.categoryExists, true);
        const runningRow = reads.categories.find((c: Data) => c.name === "Running");
        assert.equal(runningRow.products.length, 5);
        assert.ok(runningRow.products.every((p: Data) => p.category.name === "Running"));
      },
    );

    await t.step(
      "deleting: refused with children or products, allowed with reassignment",
      async () => {
        refused(
          await run(`mutation { deleteCategory(input: {id: "${running.id}"}) }`),
          "PRECONDITION",
          /subcategor/i,
        );
        const leaf = await createCategory({ name: "Clearance", parentId: apparel.id });
        const item = await createProduct({ name: "Sock", price: "2.00", categoryId: leaf.id });
        refused(
          await run(`mutation { deleteCategory(input: {id: "${leaf.id}"}) }`),
          "PRECONDITION",
          /product/i,
        );
        const deleted = ok(
          await run(
            `mutation { deleteCategory(input: {id: "${leaf.id}", reassignProductsTo: "${apparel.id}", reason: "merged"}) }`,
          ),
        );
        assert.equal(deleted.deleteCategory, true);
        const after = ok(
          await run(
            `{ product(id: "${item.id}") { category { id } } category(id: "${leaf.id}") { id } }`,
          ),
        );
        assert.equal(after.product.category.id, apparel.id);
        assert.equal(after.category, null);
        refused(
          await run(`mutation { updateCategory(input: {id: "${leaf.id}", name: "Back"}) { id } }`),
          "PRECONDITION",
          /deleted/i,
        );
        const gone = ok(
          await run(`mutation { deleteProduct(input: {id: "${item.id}", reason: "sold out"}) }`),
        );
        assert.equal(gone.deleteProduct, true);
        refused(
          await run(`mutation { updateProduct(input: {id: "${item.id}", name: "Again"}) { id } }`),
          "PRECONDITION",
          /deleted/i,
        );
        assert.equal(ok(await run(`{ product(id: "${item.id}") { id } }`)).product, null);
      },
    );

    await t.step(
      "a mutation returns a consistency token that a later read can wait on",
      async () => {
        const res = await gql<Data>(
          url,
          `mutation { createCategory(input: {name: "Fresh"}) { id } }`,
          {},
          admin,
        );
        const token = res.extensions?.consistencyToken;
        assert.match(String(token), /^\d+:\d+$/);
        const read = await gql<Data>(
          url,
          `{ category(id: "${res.data!.createCategory.id}") { name } }`,
          {},
          {
            "x-consistency-token": String(token),
          },
        );
        assert.equal(read.data!.category.name, "Fresh");
        refused(
          await gql(url, `{ categories { id } }`, {}, { "x-consistency-token": "nope" }),
          "VALIDATION",
          /X-Consistency-Token/,
        );
      },
    );
  } finally {
    await system.close();
  }
});
