import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, Scenario } from "@shared/testing/read_model.ts";
import { productsProjection } from "./projection.ts";
import {
  getProductByName,
  getProductsByCategoryIds,
  getProductsByIds,
  productExists,
} from "./queries.ts";
import { searchProducts } from "./search.ts";

Deno.test("product queries", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  const s = new Scenario();
  const shoes = s.createCategory("Shoes");
  const hats = s.createCategory("Hats");
  const empty = s.createCategory("Empty");
  // 40 shoes priced 1.00 .. 40.00, 5 hats, one deleted product.
  const shoeIds = Array.from(
    { length: 40 },
    (_, i) => s.createProduct(`Shoe ${String(i + 1).padStart(2, "0")}`, `${i + 1}.00`, shoes),
  );
  const hatIds = ["Red", "Blue", "Green", "Straw", "50% off"].map((n) =>
    s.createProduct(`${n} hat`, "15.50", hats, { description: n === "Straw" ? "woven" : null })
  );
  const gone = s.createProduct("Gone shoe", "5.00", shoes);
  s.deleteProduct(gone);
  try {
    await project(sql, productsProjection, s.events);

    await t.step(
      "lists page by name with total count; the last full page has no next",
      async () => {
        const first = await searchProducts(sql, {});
        assert.deepEqual(first.pageInfo, { page: 1, perPage: 20, totalCount: 45, hasNext: true });
        assert.equal(first.items[0]?.name, "50% off hat");
        const exact = await searchProducts(sql, { categoryId: shoes, page: 2, perPage: 20 });
        assert.equal(exact.items.length, 20);
        assert.deepEqual(exact.pageInfo, { page: 2, perPage: 20, totalCount: 40, hasNext: false });
        const past = await searchProducts(sql, { categoryId: shoes, page: 3 });
        assert.deepEqual([past.items.length, past.pageInfo.hasNext], [0, false]);
        const none = await searchProducts(sql, { categoryId: empty });
        assert.deepEqual(none.pageInfo, { page: 1, perPage: 20, totalCount: 0, hasNext: false });
      },
    );

    await t.step(
      "search matches name or description, case-insensitively, wildcards literal",
      async () => {
        const found = await searchProducts(sql, { text: "HAT" });
        assert.equal(found.pageInfo.totalCount, 5);
        const woven = await searchProducts(sql, { text: "wove" });
        assert.deepEqual(woven.items.map((p) => p.id), [hatIds[3]]);
        const percent = await searchProducts(sql, { text: "50%" });
        assert.deepEqual(percent.items.map((p) => p.name), ["50% off hat"]);
        assert.equal((await searchProducts(sql, { text: "gone" })).pageInfo.totalCount, 0);
      },
    );

    await t.step("price ranges include both bounds and sort by price", async () => {
      const range = await searchProducts(sql, {
        minPrice: "10.00",
        maxPrice: "15.5",
        sort: "price_asc",
      });
      assert.deepEqual(range.items.map((p) => p.price), [
        "10.00",
        "11.00",
        "12.00",
        "13.00",
        "14.00",
        "15.00",
        "15.50",
        "15.50",
        "15.50",
        "15.50",
        "15.50",
      ]);
      const open = await searchProducts(sql, { minPrice: "40.00" });
      assert.deepEqual(open.items.map((p) => p.id), [shoeIds[39]]);
      await assert.rejects(
        () => searchProducts(sql, { minPrice: "5.00", maxPrice: "4.99" }),
        ValidationError,
      );
    });

    await t.step("sorts by price either way, by name descending, and newest first", async () => {
      const desc = await searchProducts(sql, { sort: "price_desc", perPage: 2 });
      assert.deepEqual(desc.items.map((p) => p.price), ["40.00", "39.00"]);
      const asc = await searchProducts(sql, { sort: "price_asc", perPage: 1 });
      assert.equal(asc.items[0]?.price, "1.00");
      const byName = await searchProducts(sql, { sort: "name_desc", perPage: 1 });
      assert.equal(byName.items[0]?.name, "Straw hat");
      const newest = await searchProducts(sql, { sort: "newest", perPage: 1 });
      assert.equal(newest.items[0]?.id, hatIds[4]);
    });

    await t.step("advanced search combines text, category, price range and page", async () => {
      const found = await searchProducts(sql, {
        text: "shoe 1",
        categoryId: shoes,
        minPrice: "12.00",
        maxPrice: "20.00",
        sort: "price_desc",
        perPage: 3,
      });
      assert.deepEqual(found.items.map((p) => p.name), ["Shoe 19", "Shoe 18", "Shoe 17"]);
      assert.deepEqual(found.pageInfo, { page: 1, perPage: 3, totalCount: 8, hasNext: true });
    });

    await t.step("by ids and by category ids return live products only", async () => {
      const byIds = await getProductsByIds(sql, [hatIds[0]!, gone, crypto.randomUUID()]);
      assert.deepEqual(byIds.map((p) => p.id), [hatIds[0]]);
      const byCategories = await getProductsByCategoryIds(sql, [hats, shoes, empty]);
      assert.equal(byCategories.length, 45);
      assert.deepEqual(
        byCategories.slice(0, 5).map((p) => p.categoryId),
        Array(5).fill(hats),
      );
      assert.deepEqual(await getProductsByCategoryIds(sql, []), []);
    });

    await t.step("by name and exists see live products only", async () => {
      assert.equal((await getProductByName(sql, "red HAT"))?.id, hatIds[0]);
      assert.equal(await getProductByName(sql, "Gone shoe"), undefined);
      assert.equal(await productExists(sql, shoeIds[0]!), true);
      assert.equal(await productExists(sql, gone), false);
    });
  } finally {
    await db.drop();
  }
});
