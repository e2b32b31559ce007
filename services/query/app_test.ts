import assert from "node:assert/strict";
import { categoryQueries, orderQueries, productQueries } from "@proto/query/v1/contract.ts";
import { UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import { type Client, createClient } from "@shared/grpc/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { Scenario } from "@shared/testing/read_model.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { Pipeline, tokenOf } from "@shared/testing/query.ts";
import { startQueryService } from "./app.ts";

type Calls<C> = { [K in keyof C]: () => Promise<unknown> };

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("query service over gRPC", async (t) => {
  const db = await createTestDatabases();
  const pipe = new Pipeline(db);
  const logger = createLogger("query-test");
  const service = await startQueryService({
    readModelUrl: db.readModelUrl,
    port: 0,
    host: "127.0.0.1",
    logger,
    consistencyTimeoutMs: 5000,
  });
  const address = `127.0.0.1:${service.port}`;
  const categories: Client<typeof categoryQueries> = createClient(categoryQueries, address);
  const products: Client<typeof productQueries> = createClient(productQueries, address);
  // Staff may read every order; a customer's view is tested in access_test.ts.
  const staff = (await bearer("test-staff", ["staff"])).authorization;
  const orders: Client<typeof orderQueries> = actingAs(
    createClient(orderQueries, address),
    staff,
  );

  const s = new Scenario();
  const shoes = s.createCategory("Shoes");
  const boots = s.createCategory("Boots", shoes);
  const boot = s.createProduct("Hiking boot", "89.90", boots);
  const sandal = s.createProduct("Sandal", "19.99", shoes);
  s.setStock(boot, 12);
  const customer = crypto.randomUUID();
  const order = s.createOrder({
    customerId: customer,
    items: [{ productId: boot, productName: "Hiking boot", quantity: 1, unitPrice: "89.90" }],
    subtotal: "89.90",
    tax: "8.99",
    shipping: "500.00",
    total: "598.89",
  });
  s.saga(order, "SagaStarted", {
    order: { items: [{ productId: boot, quantity: 1 }], total: "598.89", shippingAddress: {} },
    stepTimeoutMs: 30_000,
    sagaTimeoutMs: 300_000,
    startedAt: s.log.now(),
  });
  try {
    await pipe.append(s);
    await pipe.project();

    await t.step("every RPC of the three contracts answers from the read model", async () => {
      const category: Calls<typeof categoryQueries.methods> = {
        getCategory: async () =>
          assert.equal((await categories.getCategory({ id: boots })).category?.productCount, 1),
        getCategoryByName: async () =>
          assert.equal((await categories.getCategoryByName({ name: "shoes" })).category?.id, shoes),
        listCategories: async () =>
          assert.equal((await categories.listCategories({ parentId: shoes })).categories.length, 1),
        searchCategories: async () =>
          assert.equal(
            (await categories.searchCategories({ searchTerm: "oot" })).pageInfo.totalCount,
            1,
          ),
        listCategoriesPaginated: async () =>
          assert.deepEqual((await categories.listCategoriesPaginated({ perPage: 1 })).pageInfo, {
            page: 1,
            perPage: 1,
            totalCount: 2,
            hasNext: true,
          }),
        getCategoryStatistics: async () =>
          assert.equal((await categories.getCategoryStatistics({})).maxDepth, 2),
        categoryExists: async () =>
          assert.equal((await categories.categoryExists({ id: shoes })).exists, true),
        getCategoriesByIds: async () =>
          assert.equal(
            (await categories.getCategoriesByIds({ ids: [shoes, boots] })).categories.length,
            2,
          ),
        getCategoryTree: async () =>
          assert.equal(
            (await categories.getCategoryTree({})).roots[0]?.children[0]?.category.id,
            boots,
          ),
        getCategoryPath: async () =>
          assert.deepEqual(
            (await categories.getCategoryPath({ id: boots })).path.map((p) => p.name),
            [
              "Shoes",
              "Boots",
            ],
          ),
        getCategoryWithProducts: async () =>
          assert.deepEqual(
            (await categories.getCategoryWithProducts({ id: shoes })).products.map((p) => p.id),
            [sandal],
          ),
      };
      const product: Calls<typeof productQueries.methods> = {
        getProduct: async () =>
          assert.equal((await products.getProduct({ id: boot })).product?.stock, 12),
        getProductWithCategory: async () =>
          assert.equal(
            (await products.getProductWithCategory({ id: boot })).category?.name,
            "Boots",
          ),
        getProductByName: async () =>
          assert.equal((await products.getProductByName({ name: "SANDAL" })).product?.id, sandal),
        listProducts: async () =>
          assert.equal((await products.listProducts({})).pageInfo.totalCount, 2),
        listProductsWithCategories: async () =>
          assert.equal(
            (await products.listProductsWithCategories({})).products[0]?.categoryName,
            "Boots",
          ),
        getProductsByCategory: async () =>
          assert.equal(
            (await products.getProductsByCategory({ categoryId: shoes })).products[0]?.id,
            sandal,
          ),
        searchProducts: async () =>
          assert.equal(
            (await products.searchProducts({ searchTerm: "hiking" })).products[0]?.id,
            boot,
          ),
        getProductsByPriceRange: async () =>
          assert.deepEqual(
            (await products.getProductsByPriceRange({ minPrice: "19.99", maxPrice: "89.90" }))
              .products.map((p) => p.price),
            ["19.99", "89.90"],
          ),
        listProductsSortedByPrice: async () =>
          assert.equal(
            (await products.listProductsSortedByPrice({ direction: "desc" })).products[0]?.id,
            boot,
          ),
        listProductsPaginated: async () =>
          assert.equal(
            (await products.listProductsPaginated({ page: 2, perPage: 1 })).pageInfo.hasNext,
            false,
          ),
        getProductsByIds: async () =>
          assert.equal((await products.getProductsByIds({ ids: [boot] })).products.length, 1),
        getProductsByCategoryIds: async () =>
          assert.equal(
            (await products.getProductsByCategoryIds({ ids: [shoes, boots] })).products.length,
            2,
          ),
        searchProductsAdvanced: async () =>
          assert.deepEqual(
            (await products.searchProductsAdvanced({
              text: "a",
              maxPrice: "50",
              sort: "price_asc",
            }))
              .products.map((p) => p.id),
            [sandal],
          ),
        getProductStatistics: async () =>
          assert.equal((await products.getProductStatistics({})).averagePrice, "54.95"),
        getCategoryProductStatistics: async () =>
          assert.equal(
            (await products.getCategoryProductStatistics({ categoryId: boots })).maxPrice,
            "89.90",
          ),
        productExists: async () =>
          assert.equal((await products.productExists({ id: boot })).exists, true),
      };
      const ordering: Calls<typeof orderQueries.methods> = {
        getOrder: async () =>
          assert.equal((await orders.getOrder({ id: order })).order?.total, "598.89"),
        listOrders: async () => assert.equal((await orders.listOrders({})).pageInfo.totalCount, 1),
        getOrdersByCustomer: async () =>
          assert.equal(
            (await orders.getOrdersByCustomer({ customerId: customer })).orders[0]?.id,
            order,
          ),
        getOrdersByStatus: async () =>
          assert.equal((await orders.getOrdersByStatus({ status: "pending" })).orders.length, 1),
        getOrderStats: async () =>
          assert.equal((await orders.getOrderStats({})).totalRevenue, "598.89"),
        getSagaState: async () =>
          assert.equal((await orders.getSagaState({ orderId: order })).saga?.status, "started"),
      };
      for (const calls of [category, product, ordering]) {
        for (const [name, call] of Object.entries(calls)) {
          await call().catch((err) => {
            throw new Error(`${name} failed: ${err}`, { cause: err });
          });
        }
      }
    });

    await t.step("a single read of something missing leaves its field unset", async () => {
      const id = crypto.randomUUID();
      assert.equal((await categories.getCategory({ id })).category, undefined);
      assert.equal((await products.getProduct({ id })).product, undefined);
      assert.equal((await orders.getOrder({ id })).order, undefined);
      assert.equal((await orders.getSagaState({ orderId: id })).saga, undefined);
      const both = await products.getProductWithCategory({ id });
      assert.deepEqual([both.product, both.category], [undefined, undefined]);
    });

    for (const announce of [true, false]) {
      await t.step(
        `a call with a consistency token waits for its projections (${
          announce ? "change feed" : "polling"
        })`,
        async () => {
          const late = s.createProduct(`Late ${announce}`, "1.00", shoes);
          const position = await pipe.append(s);
          let answered = false;
          const call = products.getProduct({ id: late }, {
            metadata: { consistencyToken: tokenOf(position) },
          }).then((r) => {
            answered = true;
            return r;
          });
          await delay(150);
          assert.equal(answered, false, "the call waits while the read model is behind");
          await pipe.project({ announce });
          assert.equal((await call).product?.name, `Late ${announce}`);
        },
      );
    }

    await t.step("a token already reached is answered at once", async () => {
      const events = await pipe.store.readAll({ transactionId: "0", id: "0" }, 1);
      const token = tokenOf(events[0]!.position);
      const result = await categories.getCategory({ id: shoes }, {
        metadata: { consistencyToken: token },
      });
      assert.equal(result.category?.name, "Shoes");
    });

    await t.step("a malformed token is a VALIDATION error naming X-Consistency-Token", async () => {
      const err = await categories.getCategory({ id: shoes }, {
        metadata: { consistencyToken: "yesterday" },
      }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(err.issues[0]?.field, "X-Consistency-Token");
    });

    await t.step("a read model that does not catch up in time gives UNAVAILABLE", async () => {
      const impatient = await startQueryService({
        readModelUrl: db.readModelUrl,
        port: 0,
        host: "127.0.0.1",
        logger,
        consistencyTimeoutMs: 200,
      });
      const client = actingAs(createClient(orderQueries, `127.0.0.1:${impatient.port}`), staff);
      try {
        s.cancelOrder(order, "pending", "too slow");
        const position = await pipe.append(s);
        const err = await client.getOrder({ id: order }, {
          metadata: { consistencyToken: tokenOf(position) },
        }).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof UnavailableError, String(err));
        assert.match(err.message, /has not caught up .* within 200 ms: orders behind/);
      } finally {
        client.close();
        await impatient.stop();
      }
    });
  } finally {
    for (const c of [categories, products, orders]) c.close();
    await service.stop();
    pipe.close();
    await db.drop();
  }
});
