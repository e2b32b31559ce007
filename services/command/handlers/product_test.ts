import assert from "node:assert/strict";
import { inventoryIdFor } from "@shared/domain/shared/ids.ts";
import {
  assertRefused,
  commandMeta,
  type Refusal,
  startTestService,
} from "@shared/testing/command.ts";

Deno.test("product commands over gRPC", async (t) => {
  const s = await startTestService();
  const { categories, products } = s;
  const refused = async (call: () => Promise<unknown>, expected: Refusal) => {
    const before = await s.eventCount();
    await assertRefused(Promise.resolve().then(call), expected);
    assert.equal(await s.eventCount(), before, "a refused command appends nothing");
  };
  try {
    const shoes = (await categories.createCategory({ name: "Shoes" }, commandMeta())).id;
    const bags = (await categories.createCategory({ name: "Bags" }, commandMeta())).id;
    let boot = "";

    await t.step(
      "createProduct records the product with its price as a decimal string",
      async () => {
        const result = await products.createProduct(
          { name: " Boot ", price: "100.5", categoryId: shoes, description: "Leather" },
          commandMeta(),
        );
        boot = result.id;
        assert.equal(result.version, 1);
        const [created] = await s.events(boot);
        assert.deepEqual(
          { ...created?.data, createdAt: undefined },
          {
            id: boot,
            name: "Boot",
            description: "Leather",
            price: "100.50",
            categoryId: shoes,
            createdAt: undefined,
          },
        );
      },
    );

    await t.step("createProduct refusals name the rule and the field", async () => {
      await refused(() => products.createProduct({ name: "X", price: "0.00", categoryId: shoes }), {
        code: "VALIDATION",
        message: /price: must be a decimal with at most 2 places between 0.01 and 999999.99/,
        field: "price",
      });
      await refused(
        () => products.createProduct({ name: "X", price: "1000000.00", categoryId: shoes }),
        { code: "VALIDATION", message: /price/, field: "price" },
      );
      await refused(
        () => products.createProduct({ name: "y".repeat(201), price: "1.00", categoryId: shoes }),
        { code: "VALIDATION", message: /at most 200 characters/, field: "name" },
      );
      const missing = crypto.randomUUID();
      await refused(
        () => products.createProduct({ name: "X", price: "1.00", categoryId: missing }),
        {
          code: "NOT_FOUND",
          message: new RegExp(`Cannot create product "X": category "${missing}" does not exist`),
          field: "categoryId",
        },
      );
      const gone = (await categories.createCategory({ name: "Gone" }, commandMeta())).id;
      await categories.deleteCategory({ id: gone }, commandMeta());
      await refused(() => products.createProduct({ name: "X", price: "1.00", categoryId: gone }), {
        code: "PRECONDITION",
        message: /Cannot create product "X": category "Gone" is deleted/,
        field: "categoryId",
      });
      await refused(
        () => products.createProduct({ id: boot, name: "X", price: "1.00", categoryId: shoes }),
        {
          code: "CONFLICT",
          message: /already exists/,
          field: "id",
        },
      );
    });

    await t.step("a price change of 10% or more also records ProductPriceChanged", async () => {
      await products.updateProduct({ id: boot, price: "95.50" }, commandMeta());
      assert.deepEqual((await s.events(boot)).map((e) => e.type), [
        "ProductCreated",
        "ProductUpdated",
      ]);
      await products.updateProduct(
        { id: boot, price: "85.95", changeReason: "sale", categoryId: bags },
        commandMeta(),
      );
      const [, , updated, changed] = await s.events(boot);
      assert.deepEqual(updated?.data.changes, { price: "85.95", categoryId: bags });
      assert.deepEqual(
        { ...changed?.data, changedAt: undefined },
        {
          id: boot,
          oldPrice: "95.50",
          newPrice: "85.95",
          changeReason: "sale",
          changedAt: undefined,
        },
      );
      // The lookup moved with it: Shoes has no live product left.
      await categories.deleteCategory({ id: shoes }, commandMeta());
    });

    await t.step("updateProduct refusals name the rule and the field", async () => {
      await refused(() => products.updateProduct({ id: boot, categoryId: shoes }), {
        code: "PRECONDITION",
        message: /Cannot move product "Boot": category "Shoes" is deleted/,
        field: "categoryId",
      });
      await refused(() => products.updateProduct({ id: crypto.randomUUID(), name: "X" }), {
        code: "NOT_FOUND",
        message: /Cannot update product ".*": it does not exist/,
        field: "id",
      });
      await refused(() => products.updateProduct({ id: boot, price: "1.234" }), {
        code: "VALIDATION",
        message: /price/,
        field: "price",
      });
    });

    await t.step("setStock writes the product's inventory stream", async () => {
      const result = await products.setStock({ productId: boot, quantity: 12 }, commandMeta());
      assert.equal(result.id, inventoryIdFor(boot));
      const [stock] = await s.events(inventoryIdFor(boot));
      assert.equal(stock?.type, "StockSet");
      assert.equal(stock?.aggregateType, "Inventory");
      assert.deepEqual({ ...stock?.data, setAt: undefined }, {
        productId: boot,
        quantity: 12,
        previousQuantity: 0,
        setAt: undefined,
      });
      await refused(() => products.setStock({ productId: boot, quantity: -1 }), {
        code: "VALIDATION",
        message: /must not be negative/,
        field: "quantity",
      });
      await refused(() => products.setStock({ productId: crypto.randomUUID(), quantity: 1 }), {
        code: "NOT_FOUND",
        message: /Cannot set the stock of product ".*": it does not exist/,
        field: "productId",
      });
    });

    await t.step("deleteProduct deletes once; a deleted product takes no command", async () => {
      await products.deleteProduct({ id: boot, reason: "discontinued" }, commandMeta());
      assert.equal((await s.events(boot)).at(-1)?.data.reason, "discontinued");
      await refused(() => products.deleteProduct({ id: boot }), {
        code: "PRECONDITION",
        message: /Cannot delete product "Boot": it is deleted/,
        field: "id",
      });
      await refused(() => products.setStock({ productId: boot, quantity: 3 }), {
        code: "PRECONDITION",
        message: /Cannot set the stock of product "Boot": it is deleted/,
        field: "productId",
      });
      // Bags has no live product left, so it can go.
      await categories.deleteCategory({ id: bags }, commandMeta());
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
