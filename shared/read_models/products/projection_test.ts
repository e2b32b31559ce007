import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, resetReadModel, Scenario, snapshot } from "@shared/testing/read_model.ts";
import { productsProjection } from "./projection.ts";
import { getProduct, getProductsByCategoryIds } from "./queries.ts";
import { searchProducts } from "./search.ts";

const TABLES = ["products", "product_stock", "product_categories", "product_counts"];

Deno.test("products projection", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  /** The live-product counters agree with the rows. */
  const assertCounts = async () => {
    const counted = await sql`
      SELECT category_id, count(*)::bigint AS n FROM products WHERE NOT deleted AND NOT archived
      GROUP BY category_id ORDER BY category_id`;
    const kept = await sql`
      SELECT category_id, live AS n FROM product_counts WHERE live <> 0 ORDER BY category_id`;
    assert.deepEqual([...kept], [...counted]);
  };
  try {
    await t.step("holds a product with its price, category name and stock", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const shoes = s.createCategory("Shoes");
      const p = s.createProduct("Boot", "19.99", shoes);
      s.setStock(p, 7);
      await project(sql, productsProjection, s.events);
      const product = await getProduct(sql, p);
      assert.equal(product?.price, "19.99");
      assert.equal(product?.categoryName, "Shoes");
      assert.equal(product?.stock, 7);
      assert.equal(product?.description, "A fine Boot");
    });

    await t.step("a category rename reaches the name on its products", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const shoes = s.createCategory("Shoes");
      const other = s.createCategory("Other");
      const p = s.createProduct("Boot", "19.99", shoes);
      const q = s.createProduct("Hat", "5.00", other);
      await project(sql, productsProjection, s.events);
      const mark = s.events.length;
      s.renameCategory(shoes, "Footwear");
      await project(sql, productsProjection, s.log.since(mark));
      assert.equal((await getProduct(sql, p))?.categoryName, "Footwear");
      assert.equal((await getProduct(sql, q))?.categoryName, "Other");
    });

    await t.step("updates change only the fields they name, and follow a move", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const p = s.createProduct("Boot", "10.00", a);
      s.updateProduct(p, { name: "Tall boot" });
      s.updateProduct(p, { description: null });
      s.changePrice(p, "10.00", "12.50");
      s.updateProduct(p, { categoryId: b });
      await project(sql, productsProjection, s.events);
      const product = await getProduct(sql, p);
      assert.equal(product?.name, "Tall boot");
      assert.equal(product?.description, undefined);
      assert.equal(product?.price, "12.50");
      assert.equal(product?.categoryId, b);
      assert.equal(product?.categoryName, "B");
      assert.equal(product?.version, 6);
    });

    await t.step("stock follows StockSet, reservations and releases by `available`", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const p = s.createProduct("Boot", "10.00", a);
      const stockAfter = async () => (await getProduct(sql, p))?.stock;
      s.setStock(p, 10);
      await project(sql, productsProjection, s.events);
      assert.equal(await stockAfter(), 10);
      let mark = s.events.length;
      const order = crypto.randomUUID();
      s.reserve(p, order, 3, 7);
      await project(sql, productsProjection, s.log.since(mark));
      assert.equal(await stockAfter(), 7);
      mark = s.events.length;
      s.release(p, order, 3, 10);
      s.setStock(p, 4, 10);
      await project(sql, productsProjection, s.log.since(mark));
      assert.equal(await stockAfter(), 4);
    });

    await t.step("a deleted product is hidden, and a reassignment moves products", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const p = s.createProduct("Boot", "10.00", a);
      const q = s.createProduct("Shoe", "10.00", a);
      s.deleteProduct(q);
      s.deleteCategory(a, { to: b, productIds: [p] });
      await project(sql, productsProjection, s.events);
      assert.equal(await getProduct(sql, q), undefined);
      assert.equal((await getProduct(sql, p))?.categoryName, "B");
      await assertCounts();
    });

    await t.step(
      "an archived product leaves lists and counters, readable by id; restore brings it back",
      async () => {
        await resetReadModel(sql);
        const s = new Scenario();
        const a = s.createCategory("A");
        const b = s.createCategory("B");
        const kept = s.createProduct("Boot", "10.00", a);
        const p = s.createProduct("Bootie", "20.00", a);
        s.archiveProduct(p);
        // A move while archived must not count it live in its new category.
        s.updateProduct(p, { categoryId: b });
        await project(sql, productsProjection, s.events);
        const listed = async (search: Parameters<typeof searchProducts>[1]) =>
          (await searchProducts(sql, search)).items.map((x) => x.id);
        assert.deepEqual(await listed({}), [kept]);
        assert.deepEqual(await listed({ text: "boot" }), [kept]);
        assert.deepEqual(await listed({ categoryId: b }), []);
        assert.deepEqual(await listed({ minPrice: "15.00", maxPrice: "25.00" }), []);
        assert.equal((await searchProducts(sql, {})).pageInfo.totalCount, 1);
        assert.deepEqual(await getProductsByCategoryIds(sql, [a, b]), [
          await getProduct(sql, kept),
        ]);
        const archived = await getProduct(sql, p);
        assert.equal(archived?.archived, true);
        assert.equal(archived?.categoryId, b);
        assert.equal((await getProduct(sql, kept))?.archived, false);
        await assertCounts();

        const mark = s.events.length;
        s.restoreProduct(p);
        await project(sql, productsProjection, s.log.since(mark));
        assert.equal((await getProduct(sql, p))?.archived, false);
        assert.deepEqual(await listed({ categoryId: b }), [p]);
        assert.deepEqual(await listed({ minPrice: "15.00", maxPrice: "25.00" }), [p]);
        await assertCounts();
      },
    );

    await t.step("deleting an archived product does not count it out twice", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      s.createProduct("Boot", "10.00", a);
      const p = s.createProduct("Shoe", "10.00", a);
      s.archiveProduct(p);
      s.deleteProduct(p);
      await project(sql, productsProjection, s.events);
      assert.equal(await getProduct(sql, p), undefined);
      assert.equal((await searchProducts(sql, {})).pageInfo.totalCount, 1);
      await assertCounts();
    });

    await t.step("applying the same events again changes nothing", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const ids = ["One", "Two", "Three"].map((n) => s.createProduct(n, "3.00", a));
      for (const id of ids) s.setStock(id, 5);
      s.renameCategory(a, "AA");
      s.changePrice(ids[0]!, "3.00", "4.00");
      s.updateProduct(ids[1]!, { categoryId: b });
      s.deleteProduct(ids[2]!);
      s.archiveProduct(ids[0]!);
      s.restoreProduct(ids[0]!);
      s.archiveProduct(ids[1]!);
      s.reserve(ids[0]!, crypto.randomUUID(), 2, 3);
      await project(sql, productsProjection, s.events);
      const once = await snapshot(sql, TABLES);
      await project(sql, productsProjection, s.events);
      for (const e of s.events) await project(sql, productsProjection, [e]);
      assert.equal(await snapshot(sql, TABLES), once);
      await assertCounts();
    });

    await t.step("a batch gives the same rows as one event at a time", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      for (let i = 0; i < 20; i++) {
        const p = s.createProduct(`P${i}`, `${i + 1}.00`, a);
        s.setStock(p, i);
        if (i % 3 === 0) s.updateProduct(p, { name: `Q${i}` });
        if (i % 5 === 0) s.setStock(p, 100 + i, i);
        if (i % 4 === 0) s.updateProduct(p, { categoryId: b, price: "99.00" });
        if (i % 6 === 0) s.archiveProduct(p);
        if (i % 12 === 0) s.restoreProduct(p);
        if (i % 7 === 0) s.deleteProduct(p);
      }
      s.renameCategory(a, "Renamed");
      await project(sql, productsProjection, s.events);
      // A batch that opens with a product, then creates, renames and deletes categories amid
      // product events: the products created in a category or moved to it carry its last
      // name, whichever the batch's plan applies first.
      const mark = s.events.length;
      const p = s.createProduct("Early", "1.00", a);
      const c = s.createCategory("C");
      const q = s.createProduct("Late", "2.00", c);
      s.updateProduct(p, { categoryId: c });
      s.setStock(q, 3);
      s.renameCategory(c, "C2");
      s.createProduct("Later", "3.00", c);
      s.renameCategory(c, "C3");
      s.deleteCategory(b);
      const d = s.createCategory("D");
      const r = s.createProduct("In D", "4.00", d);
      await project(sql, productsProjection, s.log.since(mark));
      assert.equal((await getProduct(sql, r))?.categoryName, "D");
      assert.equal((await getProduct(sql, p))?.categoryName, "C3");
      assert.equal((await getProduct(sql, q))?.categoryName, "C3");
      assert.equal((await getProduct(sql, q))?.stock, 3);
      const batched = await snapshot(sql, TABLES);
      await resetReadModel(sql);
      for (const e of s.events) await project(sql, productsProjection, [e]);
      assert.equal(await snapshot(sql, TABLES), batched);
      await assertCounts();
    });
  } finally {
    await db.drop();
  }
});
