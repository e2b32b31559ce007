import assert from "node:assert/strict";
import { AppError } from "@shared/errors/mod.ts";
import { categories, load, products } from "@shared/application/aggregates.ts";
import { commandMeta, startTestService } from "@shared/testing/command.ts";

/** Settles calls and sorts them: results, and refusals by code. */
async function settle<T>(calls: Promise<T>[]): Promise<{ ok: T[]; refused: AppError[] }> {
  const outcomes = await Promise.allSettled(calls);
  const ok = outcomes.flatMap((o) => o.status === "fulfilled" ? [o.value] : []);
  const refused = outcomes.flatMap((o) => {
    if (o.status === "fulfilled") return [];
    assert.ok(o.reason instanceof AppError, `unexpected ${String(o.reason)}`);
    assert.notEqual(o.reason.code, "INTERNAL", o.reason.message);
    return [o.reason];
  });
  return { ok, refused };
}

Deno.test("racing commands cannot break the cross-aggregate invariants", async (t) => {
  const s = await startTestService();
  const { deps } = s.service;
  const create = (name: string, parentId?: string) =>
    s.categories.createCategory({ name, ...(parentId ? { parentId } : {}) }, commandMeta());
  try {
    await t.step(
      "20 concurrent creates of one name under one parent: one succeeds, 19 CONFLICT",
      async () => {
        const parent = (await create("Apparel")).id;
        const names = Array.from(
          { length: 20 },
          (_, i) => ["Shoes", "SHOES", "shoes", " sHoEs "][i % 4]!,
        );
        const { ok, refused } = await settle(names.map((name) => create(name, parent)));
        assert.equal(ok.length, 1);
        assert.equal(refused.length, 19);
        for (const err of refused) {
          assert.equal(err.code, "CONFLICT");
          assert.match(err.message, /^Cannot create category "[a-zA-Z]+": a sibling/);
          assert.equal(err.details.field, "name");
        }
        const created = (await s.events()).filter((e) =>
          e.type === "CategoryCreated" && e.data.parentId === parent
        );
        assert.equal(created.length, 1);
      },
    );

    await t.step(
      "create-product racing delete-category never leaves a live product in a deleted category",
      async () => {
        for (let round = 0; round < 6; round++) {
          const category = (await create(`Race ${round}`)).id;
          // Creates go out just before and just after the delete, so some load a
          // live category that is deleted before they commit.
          const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
          const createAfter = async (i: number) => {
            await later(i);
            return await s.products.createProduct(
              { name: `P${round}.${i}`, price: "1.00", categoryId: category },
              commandMeta(),
            );
          };
          const all = [
            createAfter(0),
            s.categories.deleteCategory({ id: category }, commandMeta()),
            ...Array.from({ length: 10 }, (_, i) => createAfter(i + 1)),
          ];
          const { refused } = await settle(all);
          for (const err of refused) assert.match(err.code, /PRECONDITION|CONFLICT/);
          const deleted = (await load(deps, categories, category)).state?.deleted;
          const placed = (await s.events()).filter((e) =>
            e.type === "ProductCreated" && e.data.categoryId === category
          );
          if (deleted) {
            assert.equal(placed.length, 0, `round ${round}: products in a deleted category`);
          } else {assert.ok(
              placed.length > 0,
              `round ${round}: the delete was refused for no product`,
            );}
        }
      },
    );

    await t.step(
      "create-subcategory racing delete-category never leaves a live child under a deleted parent",
      async () => {
        for (let round = 0; round < 6; round++) {
          const parent = (await create(`Parent ${round}`)).id;
          const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
          const childAfter = async (i: number) => {
            await later(i);
            return await create(`Child ${round}.${i}`, parent);
          };
          const { refused } = await settle([
            childAfter(0),
            s.categories.deleteCategory({ id: parent }, commandMeta()),
            ...Array.from({ length: 10 }, (_, i) => childAfter(i + 1)),
          ]);
          for (const err of refused) assert.match(err.code, /PRECONDITION|CONFLICT|NOT_FOUND/);
          const deleted = (await load(deps, categories, parent)).state?.deleted;
          const children = (await s.events()).filter((e) =>
            e.type === "CategoryCreated" && e.data.parentId === parent
          );
          if (deleted) {
            assert.equal(children.length, 0, `round ${round}: children under a deleted parent`);
          } else {
            assert.ok(children.length > 0, `round ${round}: the delete was refused for no child`);
          }
        }
      },
    );

    await t.step("two crossing moves never make a cycle", async () => {
      for (let round = 0; round < 4; round++) {
        const a = (await create(`A${round}`)).id;
        const b = (await create(`B${round}`)).id;
        const { ok } = await settle([
          s.categories.updateCategory({ id: a, parentId: b }, commandMeta()),
          s.categories.updateCategory({ id: b, parentId: a }, commandMeta()),
        ]);
        assert.ok(ok.length <= 1);
        const [sa, sb] = await Promise.all([
          load(deps, categories, a),
          load(deps, categories, b),
        ]);
        assert.ok(!(sa.state?.parentId === b && sb.state?.parentId === a), "a cycle");
      }
    });

    await t.step(
      "children created while their parent is renamed all end with the new path",
      async () => {
        const root = (await create("Old name")).id;
        const { ok } = await settle([
          ...Array.from({ length: 8 }, (_, i) => create(`Child ${i}`, root)),
          s.categories.updateCategory({ id: root, name: "New name" }, commandMeta()),
          ...Array.from({ length: 8 }, (_, i) => create(`Child ${i + 8}`, root)),
        ]);
        assert.ok(ok.length >= 1);
        const name = (await load(deps, categories, root)).state!.name;
        const children = (await s.events()).filter((e) =>
          e.type === "CategoryCreated" && e.data.parentId === root
        );
        for (const child of children) {
          const state = (await load(deps, categories, child.aggregateId)).state!;
          assert.equal(state.path[0]?.name, name, `stale path ${JSON.stringify(state.path)}`);
        }
      },
    );

    await t.step(
      "a product moved to a category being deleted is either moved first or refused",
      async () => {
        const from = (await create("From")).id;
        const item = (await s.products.createProduct(
          { name: "Lamp", price: "3.00", categoryId: from },
          commandMeta(),
        )).id;
        const to = (await create("To")).id;
        await settle([
          s.products.updateProduct({ id: item, categoryId: to }, commandMeta()),
          s.categories.deleteCategory({ id: to }, commandMeta()),
        ]);
        const [lamp, target] = await Promise.all([
          load(deps, products, item),
          load(deps, categories, to),
        ]);
        assert.ok(!(target.state?.deleted && lamp.state?.categoryId === to));
      },
    );
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
