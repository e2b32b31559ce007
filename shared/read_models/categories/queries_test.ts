import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, Scenario } from "@shared/testing/read_model.ts";
import { categoriesProjection } from "./projection.ts";
import {
  categoryExists,
  getCategoriesByIds,
  getCategory,
  getCategoryByName,
  getCategoryPath,
  getCategoryTree,
  listCategories,
  searchCategories,
} from "./queries.ts";

Deno.test("category queries", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  const s = new Scenario();
  const clothing = s.createCategory("Clothing");
  const shoes = s.createCategory("Shoes", clothing);
  const boots = s.createCategory("Boots", shoes);
  const hats = s.createCategory("Hats", clothing);
  const garden = s.createCategory("Garden");
  const gone = s.createCategory("Gone", garden);
  s.deleteCategory(gone);
  const kids = Array.from({ length: 10 }, (_, i) => s.createCategory(`Tool ${i}`, garden));
  try {
    await project(sql, categoriesProjection, s.events);

    await t.step("getCategory() and categoryExists() see live categories only", async () => {
      assert.equal((await getCategory(sql, boots))?.name, "Boots");
      assert.equal((await getCategory(sql, boots))?.parentId, shoes);
      assert.equal((await getCategory(sql, clothing))?.parentId, undefined);
      assert.equal(await getCategory(sql, gone), undefined);
      assert.equal(await getCategory(sql, crypto.randomUUID()), undefined);
      assert.equal(await categoryExists(sql, hats), true);
      assert.equal(await categoryExists(sql, gone), false);
    });

    await t.step("getCategoryByName() matches the whole name, case-insensitively", async () => {
      assert.equal((await getCategoryByName(sql, " boots "))?.id, boots);
      assert.equal(await getCategoryByName(sql, "Boot"), undefined);
      assert.equal(await getCategoryByName(sql, "Gone"), undefined);
    });

    await t.step("listCategories() pages by name, with total count and hasNext", async () => {
      const all = await listCategories(sql, { perPage: 100 });
      assert.equal(all.pageInfo.totalCount, 15);
      assert.equal(all.items[0]?.name, "Boots");
      const children = await listCategories(sql, { parentId: garden, perPage: 5 });
      assert.deepEqual(children.pageInfo, { page: 1, perPage: 5, totalCount: 10, hasNext: true });
      const last = await listCategories(sql, { parentId: garden, page: 2, perPage: 5 });
      assert.deepEqual(last.items.map((c) => c.name), [5, 6, 7, 8, 9].map((i) => `Tool ${i}`));
      assert.equal(last.pageInfo.hasNext, false);
      const past = await listCategories(sql, { parentId: garden, page: 3, perPage: 5 });
      assert.deepEqual([past.items.length, past.pageInfo.hasNext], [0, false]);
      const none = await listCategories(sql, { parentId: boots });
      assert.deepEqual(none.pageInfo, { page: 1, perPage: 20, totalCount: 0, hasNext: false });
    });

    await t.step("searchCategories() finds a substring, case-insensitively", async () => {
      const found = await searchCategories(sql, { searchTerm: "OO" });
      assert.deepEqual(found.items.map((c) => c.name), [
        "Boots",
        ...kids.map((_, i) => `Tool ${i}`),
      ]);
      assert.equal((await searchCategories(sql, { searchTerm: "%" })).pageInfo.totalCount, 0);
    });

    await t.step("getCategoriesByIds() returns the live ones among the ids", async () => {
      const found = await getCategoriesByIds(sql, [hats, gone, boots, crypto.randomUUID()]);
      assert.deepEqual(found.map((c) => c.id), [boots, hats]);
      assert.deepEqual(await getCategoriesByIds(sql, []), []);
    });

    await t.step("getCategoryTree() nests live categories by name", async () => {
      const roots = await getCategoryTree(sql);
      assert.deepEqual(roots.map((n) => n.category.name), ["Clothing", "Garden"]);
      assert.deepEqual(roots[0]!.children.map((n) => n.category.name), ["Hats", "Shoes"]);
      assert.equal(roots[0]!.children[1]!.children[0]!.category.id, boots);
      assert.equal(roots[1]!.children.length, 10);
      assert.equal(roots[0]!.category.childCount, 2);
    });

    await t.step("getCategoryPath() runs from the root to the category", async () => {
      assert.deepEqual((await getCategoryPath(sql, boots)).map((p) => p.name), [
        "Clothing",
        "Shoes",
        "Boots",
      ]);
      assert.deepEqual(await getCategoryPath(sql, gone), []);
    });
  } finally {
    await db.drop();
  }
});
