import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, resetReadModel, Scenario, snapshot } from "@shared/testing/read_model.ts";
import { categoriesProjection } from "./projection.ts";

const TABLES = ["categories", "category_products"];

interface Row {
  name: string;
  path: { id: string; name: string }[];
  depth: number;
  child_count: number;
  product_count: number;
  deleted: boolean;
  version: number;
}

Deno.test("categories projection", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  const row = async (id: string) =>
    (await sql<Row[]>`SELECT * FROM categories WHERE id = ${id}`)[0]!;
  const names = (r: Row) => r.path.map((s) => s.name).join(" > ");
  try {
    await t.step("builds paths, depths and child counts of a tree", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const shop = s.createCategory("Shop");
      const shoes = s.createCategory("Shoes", shop);
      const boots = s.createCategory("Boots", shoes);
      s.createCategory("Sandals", shoes);
      await project(sql, categoriesProjection, s.events);
      assert.equal(names(await row(boots)), "Shop > Shoes > Boots");
      assert.equal((await row(boots)).depth, 3);
      assert.equal((await row(shop)).child_count, 1);
      assert.equal((await row(shoes)).child_count, 2);
      assert.equal((await row(boots)).child_count, 0);
    });

    await t.step(
      "a rename reaches every descendant's path, with or without rebase events",
      async () => {
        for (const rebase of [false, true]) {
          await resetReadModel(sql);
          const s = new Scenario();
          const shop = s.createCategory("Shop");
          const shoes = s.createCategory("Shoes", shop);
          const boots = s.createCategory("Boots", shoes);
          await project(sql, categoriesProjection, s.events);
          const mark = s.events.length;
          s.renameCategory(shop, "Store", { rebase });
          await project(sql, categoriesProjection, s.log.since(mark));
          assert.equal((await row(shop)).name, "Store");
          assert.equal(names(await row(shoes)), "Store > Shoes", `rebase ${rebase}`);
          assert.equal(names(await row(boots)), "Store > Shoes > Boots", `rebase ${rebase}`);
        }
      },
    );

    await t.step(
      "a move carries the subtree's paths and depths and moves the child counts",
      async () => {
        await resetReadModel(sql);
        const s = new Scenario();
        const a = s.createCategory("A");
        const b = s.createCategory("B");
        const x = s.createCategory("X", a);
        const y = s.createCategory("Y", x);
        const z = s.createCategory("Z", y);
        s.moveCategory(x, b);
        s.moveCategory(y, null, { rebase: false });
        await project(sql, categoriesProjection, s.events);
        assert.equal(names(await row(x)), "B > X");
        assert.equal(names(await row(y)), "Y");
        assert.equal(names(await row(z)), "Y > Z");
        assert.deepEqual([(await row(y)).depth, (await row(z)).depth], [1, 2]);
        assert.equal((await row(a)).child_count, 0);
        assert.equal((await row(b)).child_count, 1);
        assert.equal((await row(x)).child_count, 0);
      },
    );

    await t.step("product counts follow creates, moves, deletes and a reassignment", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B");
      const p1 = s.createProduct("One", "1.00", a);
      const p2 = s.createProduct("Two", "2.00", a);
      const p3 = s.createProduct("Three", "3.00", a);
      s.updateProduct(p1, { categoryId: b });
      s.updateProduct(p2, { name: "Deux" });
      s.deleteProduct(p3);
      await project(sql, categoriesProjection, s.events);
      assert.deepEqual([(await row(a)).product_count, (await row(b)).product_count], [1, 1]);
      const mark = s.events.length;
      s.deleteCategory(a, { to: b, productIds: [p2] });
      await project(sql, categoriesProjection, s.log.since(mark));
      assert.equal((await row(b)).product_count, 2);
      assert.equal((await row(a)).deleted, true);
      assert.equal((await row(a)).product_count, 0);
    });

    await t.step("a deleted category leaves its parent's child count", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B", a);
      s.deleteCategory(b);
      await project(sql, categoriesProjection, s.events);
      assert.equal((await row(b)).deleted, true);
      assert.equal((await row(a)).child_count, 0);
    });

    await t.step("applying the same events again changes nothing", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      const b = s.createCategory("B", a);
      const c = s.createCategory("C", b);
      const p = s.createProduct("P", "9.99", c);
      s.renameCategory(a, "AA");
      s.moveCategory(c, a);
      s.updateProduct(p, { categoryId: b });
      s.deleteProduct(p);
      for (const e of s.events) await project(sql, categoriesProjection, [e]);
      const once = await snapshot(sql, TABLES);
      await project(sql, categoriesProjection, s.events);
      for (const e of s.events) await project(sql, categoriesProjection, [e]);
      assert.equal(await snapshot(sql, TABLES), once);
    });

    await t.step("event types it does not know are skipped", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const a = s.createCategory("A");
      s.log.record("Category", a, "CategoryRepainted", { id: a, colour: "red" });
      s.createOrder({
        customerId: crypto.randomUUID(),
        items: [],
        subtotal: "0.00",
        tax: "0.00",
        shipping: "0.00",
        total: "0.00",
      });
      await project(sql, categoriesProjection, s.events);
      assert.equal((await row(a)).name, "A");
    });
  } finally {
    await db.drop();
  }
});
