import assert from "node:assert/strict";
import {
  apiClient,
  type Data,
  given,
  ok,
  refused,
  unique,
  type When,
  when,
} from "@shared/testing/e2e/api.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem, type TestSystem } from "@shared/testing/system.ts";

const names = (list: Data[]) => list.map((c) => c.name);

/**
 * The catalogue's mutations, one behaviour each, on one system: every test
 * makes its own client and categories (roots named apart), so none depends on
 * another's data or order.
 */
Deno.test("the catalogue API: category and product mutations through GraphQL", async (t) => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  const setup = async () => {
    const api = await apiClient(system);
    return { api, given: given(api), when: when(api) };
  };

  try {
    await t.step("createCategory builds a tree with paths and depths", async () => {
      const { given } = await setup();
      const [shoes, running, trail] = await given.chain([unique("Shoes"), "Running", "Trail"]);
      assert.equal(trail!.depth, 3);
      assert.deepEqual(names(trail!.path), [shoes!.name, "Running", "Trail"]);
      assert.equal(trail!.parent.id, running!.id);
    });

    await t.step(
      "createCategory refuses a sibling's name, an overlong name and an unknown parent, appending nothing",
      async () => {
        const { api, given, when } = await setup();
        const [shoes] = await given.chain([unique("Shoes"), "Running"]);
        const before = await api.eventCount();
        refused(
          await when.mutation(
            `mutation { createCategory(input: {name: "running", parentId: "${
              shoes!.id
            }"}) { id } }`,
          ),
          "CONFLICT",
          /sibling/i,
        );
        refused(
          await when.mutation(
            `mutation { createCategory(input: {name: "${"n".repeat(101)}"}) { id } }`,
          ),
          "VALIDATION",
          /^name:/,
        );
        refused(
          await when.mutation(
            `mutation { createCategory(input: {name: "X", parentId: "${crypto.randomUUID()}"}) { id } }`,
          ),
          "NOT_FOUND",
        );
        assert.equal(await api.eventCount(), before);
      },
    );

    await t.step(
      "a sixth level and a cycle are refused as preconditions, appending nothing",
      async () => {
        const { api, given, when } = await setup();
        const before = await api.eventCount();
        const [root, , trail, , d5] = await given.chain([
          unique("Shoes"),
          "Running",
          "Trail",
          "D4",
          "D5",
        ]);
        assert.equal(d5!.depth, 5);
        const after5 = await api.eventCount();
        refused(
          await when.mutation(
            `mutation { createCategory(input: {name: "D6", parentId: "${d5!.id}"}) { id } }`,
          ),
          "PRECONDITION",
          /depth/i,
        );
        refused(
          await when.mutation(
            `mutation { updateCategory(input: {id: "${root!.id}", parentId: "${
              trail!.id
            }"}) { id } }`,
          ),
          "PRECONDITION",
          /cycle/i,
        );
        assert.equal(await api.eventCount(), after5);
        assert.ok(after5 > before);
      },
    );

    await t.step("updateCategory renames a category", async () => {
      const { given, when } = await setup();
      const shoes = await given.category({ name: unique("Shoes"), description: "Footwear" });
      const name = unique("Footwear");
      const renamed = ok(
        await when.mutation(
          `mutation { updateCategory(input: {id: "${shoes.id}", name: "${name}"}) { name } }`,
        ),
      );
      assert.equal(renamed.updateCategory.name, name);
    });

    await t.step("a product read by id names its category as renamed", async () => {
      const { given, when } = await setup();
      const shoes = await given.category({ name: unique("Shoes") });
      const item = await given.product({ name: "Boot", price: "80.00", categoryId: shoes.id });
      const name = unique("Footwear");
      ok(
        await when.mutation(
          `mutation { updateCategory(input: {id: "${shoes.id}", name: "${name}"}) { name } }`,
        ),
      );
      // The name alone comes from the product; with the category's count, from the category.
      const read = ok(
        await when.query(
          `{ product(id: "${item.id}") { category { id name } }
             counted: product(id: "${item.id}") { category { name productCount } } }`,
        ),
      );
      assert.deepEqual(read.product.category, { id: shoes.id, name });
      assert.deepEqual(read.counted.category, { name, productCount: 1 });
    });

    await t.step("updateCategory moves a category; its descendants' paths follow", async () => {
      const { given, when } = await setup();
      const [, running, trail] = await given.chain([unique("Shoes"), "Running", "Trail"]);
      const apparel = await given.category({ name: unique("Apparel") });
      const moved = ok(
        await when.mutation(
          `mutation { updateCategory(input: {id: "${
            running!.id
          }", parentId: "${apparel.id}"}) { depth path { name } } }`,
        ),
      );
      assert.deepEqual(names(moved.updateCategory.path), [apparel.name, "Running"]);
      // Read at the last mutation's position: the descendants' paths have followed.
      const child = ok(
        await when.query(`{ category(id: "${trail!.id}") { depth path { name } } }`),
      );
      assert.deepEqual(names(child.category.path), [apparel.name, "Running", "Trail"]);
      assert.equal(child.category.depth, 3);
    });

    await t.step("createProduct answers the product in its category", async () => {
      const { given } = await setup();
      const trail = await given.category({ name: unique("Trail") });
      const shoe = await given.product({
        name: "Trail Runner",
        price: "120.00",
        categoryId: trail.id,
        description: "Grippy",
      });
      assert.equal(shoe.price, "120.00");
      assert.equal(shoe.category.id, trail.id);
    });

    await t.step(
      "createProduct refuses a price of 0.00, a price of 1000000.00 and an unknown category",
      async () => {
        const { given, when } = await setup();
        const trail = await given.category({ name: unique("Trail") });
        refused(
          await when.mutation(
            `mutation { createProduct(input: {name: "Free", price: "0.00", categoryId: "${trail.id}"}) { id } }`,
          ),
          "VALIDATION",
          /^price:/,
        );
        refused(
          await when.mutation(
            `mutation { createProduct(input: {name: "Big", price: "1000000.00", categoryId: "${trail.id}"}) { id } }`,
          ),
          "VALIDATION",
          /^price:/,
        );
        refused(
          await when.mutation(
            `mutation { createProduct(input: {name: "Lost", price: "1.00", categoryId: "${crypto.randomUUID()}"}) { id } }`,
          ),
          "NOT_FOUND",
        );
      },
    );

    await t.step("setStock and updateProduct answer the new stock and price", async () => {
      const { given, when } = await setup();
      const trail = await given.category({ name: unique("Trail") });
      const shoe = await given.product({
        name: "Trail Runner",
        price: "120.00",
        categoryId: trail.id,
      });
      const stocked = ok(
        await when.mutation(
          `mutation { setStock(input: {productId: "${shoe.id}", quantity: 7}) { stock } }`,
        ),
      );
      assert.equal(stocked.setStock.stock, 7);
      const updated = ok(
        await when.mutation(
          `mutation { updateProduct(input: {id: "${shoe.id}", price: "99.99", changeReason: "sale"}) { price } }`,
        ),
      );
      assert.equal(updated.updateProduct.price, "99.99");
    });

    const FULL = "id name description price stock createdAt updatedAt category { id name }";
    const readProduct = async (read: When, id: string) =>
      ok(await read.query(`{ product(id: "${id}") { ${FULL} } }`)).product;

    await t.step("createProduct answers exactly what a read at its position returns", async () => {
      const { given, when } = await setup();
      const trail = await given.category({ name: unique("Trail") });
      const created = ok(
        await when.mutation(
          `mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${FULL} } }`,
          { i: { name: "Answered", price: "12.30", categoryId: trail.id } },
        ),
      ).createProduct;
      assert.deepEqual(created, await readProduct(when, created.id));
      assert.equal(created.stock, 0);
      assert.equal(created.description, null);
      // Timestamps are ISO 8601 in UTC.
      assert.match(created.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(created.updatedAt, created.createdAt);
    });

    await t.step(
      "updateProduct answers exactly what a read at its position returns, stock and creation time included",
      async () => {
        const { given, when } = await setup();
        const trail = await given.category({ name: unique("Trail") });
        const created = await given.product({
          name: "Answered",
          price: "12.30",
          categoryId: trail.id,
        });
        await given.stock(created.id, 3);
        const createdAt = (await readProduct(when, created.id)).createdAt;
        const updated = ok(
          await when.mutation(
            `mutation { updateProduct(input: {id: "${created.id}", name: "Answered again", price: "15.00", description: "New"}) { ${FULL} } }`,
          ),
        ).updateProduct;
        // Stock and creation time, which the command does not know, come from the read model.
        assert.equal(updated.stock, 3);
        assert.equal(updated.createdAt, createdAt);
        assert.deepEqual(updated, await readProduct(when, created.id));
      },
    );

    await t.step(
      "a replayed createProduct (same Idempotency-Key) appends nothing and answers the same",
      async () => {
        const { api, given } = await setup();
        const trail = await given.category({ name: unique("Trail") });
        const key = crypto.randomUUID();
        const again = async () =>
          ok(
            await gql<Data>(
              api.url,
              `mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${FULL} } }`,
              { i: { name: "Once", price: "1.00", categoryId: trail.id } },
              { "idempotency-key": key, ...api.headers },
            ),
          ).createProduct;
        const first = await again();
        const events = await api.eventCount();
        assert.deepEqual(await again(), first);
        assert.equal(await api.eventCount(), events);
      },
    );

    await t.step("deleteCategory refuses a category with subcategories", async () => {
      const { given, when } = await setup();
      const [, running] = await given.chain([unique("Shoes"), "Running", "Trail"]);
      refused(
        await when.mutation(`mutation { deleteCategory(input: {id: "${running!.id}"}) }`),
        "PRECONDITION",
        /subcategor/i,
      );
    });

    await t.step(
      "deleteCategory refuses a category with products, and deletes it when they are reassigned",
      async () => {
        const { given, when } = await setup();
        const apparel = await given.category({ name: unique("Apparel") });
        const leaf = await given.category({ name: "Clearance", parentId: apparel.id });
        const item = await given.product({ name: "Sock", price: "2.00", categoryId: leaf.id });
        refused(
          await when.mutation(`mutation { deleteCategory(input: {id: "${leaf.id}"}) }`),
          "PRECONDITION",
          /product/i,
        );
        const deleted = ok(
          await when.mutation(
            `mutation { deleteCategory(input: {id: "${leaf.id}", reassignProductsTo: "${apparel.id}", reason: "merged"}) }`,
          ),
        );
        assert.equal(deleted.deleteCategory, true);
        const after = ok(
          await when.query(
            `{ product(id: "${item.id}") { category { id } } category(id: "${leaf.id}") { id } }`,
          ),
        );
        assert.equal(after.product.category.id, apparel.id);
        assert.equal(after.category, null);
      },
    );

    await t.step("a deleted category refuses updates", async () => {
      const { given, when } = await setup();
      const leaf = await given.category({ name: unique("Clearance") });
      ok(await when.mutation(`mutation { deleteCategory(input: {id: "${leaf.id}"}) }`));
      refused(
        await when.mutation(
          `mutation { updateCategory(input: {id: "${leaf.id}", name: "Back"}) { id } }`,
        ),
        "PRECONDITION",
        /deleted/i,
      );
    });

    await t.step(
      "deleteProduct deletes: the product refuses updates and reads as null",
      async () => {
        const { given, when } = await setup();
        const leaf = await given.category({ name: unique("Clearance") });
        const item = await given.product({ name: "Sock", price: "2.00", categoryId: leaf.id });
        const gone = ok(
          await when.mutation(
            `mutation { deleteProduct(input: {id: "${item.id}", reason: "sold out"}) }`,
          ),
        );
        assert.equal(gone.deleteProduct, true);
        refused(
          await when.mutation(
            `mutation { updateProduct(input: {id: "${item.id}", name: "Again"}) { id } }`,
          ),
          "PRECONDITION",
          /deleted/i,
        );
        assert.equal(ok(await when.query(`{ product(id: "${item.id}") { id } }`)).product, null);
      },
    );

    await t.step("a mutation's consistency token lets a later read see it", async () => {
      const { api } = await setup();
      const name = unique("Fresh");
      const res = await gql<Data>(
        api.url,
        `mutation { createCategory(input: {name: "${name}"}) { id } }`,
        {},
        api.headers,
      );
      const token = res.extensions?.consistencyToken;
      assert.match(String(token), /^\d+:\d+$/);
      const read = await gql<Data>(
        api.url,
        `{ category(id: "${res.data!.createCategory.id}") { name } }`,
        {},
        { "x-consistency-token": String(token) },
      );
      assert.equal(read.data!.category.name, name);
    });

    await t.step("a malformed X-Consistency-Token is refused", async () => {
      const { api } = await setup();
      refused(
        await gql(api.url, `{ categories { id } }`, {}, { "x-consistency-token": "nope" }),
        "VALIDATION",
        /X-Consistency-Token/,
      );
    });
  } finally {
    await system.close();
  }
});

/**
 * A catalogue of six categories and six products, the only data of its
 * system, so that listings, counts and statistics have known answers:
 * Footwear and Apparel › Running › Trail › D4 › D5; five road runners in
 * Running, a trail runner (99.99, stock 7) in Trail.
 */
async function givenKnownCatalogue(system: TestSystem) {
  const api = await apiClient(system);
  const g = given(api);
  await g.category({ name: "Footwear", description: "Footwear" });
  const [apparel, running, trail] = await g.chain(["Apparel", "Running", "Trail", "D4", "D5"]);
  const shoe = await g.product({
    name: "Trail Runner",
    price: "99.99",
    categoryId: trail!.id,
    description: "Grippy",
  });
  await g.stock(shoe.id, 7);
  for (let i = 1; i <= 5; i++) {
    await g.product({ name: `Road Runner ${i}`, price: `${i}0.50`, categoryId: running!.id });
  }
  return { api, apparel: apparel!, running: running!, trail: trail!, shoe };
}

Deno.test("the catalogue API: queries over a known catalogue", async (t) => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  try {
    // The steps only read: each sees the catalogue as given, whatever ran before it.
    const { api, apparel, running, trail, shoe } = await givenKnownCatalogue(system);
    const read = when(api);

    await t.step("product queries: by id and name, search, ranges, pages, statistics", async () => {
      const reads = ok(
        await read.query(`{
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
      "category queries: by name, search, pages, tree, statistics, existence",
      async () => {
        const reads = ok(
          await read.query(`{
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
        assert.deepEqual(names(reads.categoryByName.children), ["Running"]);
        assert.deepEqual(names(reads.searchCategories), ["Footwear"]);
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
  } finally {
    await system.close();
  }
});
