import assert from "node:assert/strict";
import { categories, load, products } from "@shared/application/aggregates.ts";
import { assertRefused, commandMeta, startTestService } from "@shared/testing/command.ts";

Deno.test("deleteCategory with reassignProductsTo moves every product atomically", async (t) => {
  const s = await startTestService();
  const { deps } = s.service;
  const create = async (name: string) =>
    (await s.categories.createCategory({ name }, commandMeta())).id;
  try {
    const from = await create("Old shelf");
    const to = await create("New shelf");
    const items = await Promise.all(
      Array.from({ length: 5 }, async (_, i) =>
        (await s.products.createProduct(
          { name: `Item ${i}`, price: "9.99", categoryId: from },
          commandMeta(),
        )).id),
    );

    await t.step("a deleted target refuses the reassignment and nothing is written", async () => {
      const gone = await create("Gone shelf");
      await s.categories.deleteCategory({ id: gone }, commandMeta());
      const before = await s.eventCount();
      await assertRefused(
        s.categories.deleteCategory({ id: from, reassignProductsTo: gone }, commandMeta()),
        {
          code: "PRECONDITION",
          message:
            /Cannot reassign the products of category "Old shelf": category "Gone shelf" is deleted/,
          field: "reassignProductsTo",
        },
      );
      assert.equal(await s.eventCount(), before);
    });

    await t.step("the deletion and every product's move commit in one transaction", async () => {
      const result = await s.categories.deleteCategory(
        { id: from, reason: "merged", reassignProductsTo: to },
        commandMeta(),
      );
      assert.equal(result.id, from);
      assert.equal(result.version, 3);
      const written = (await s.events()).filter((e) => e.transactionId === result.transactionId);
      assert.deepEqual(written.slice(0, 2).map((e) => e.type), [
        "CategoryProductsReassigned",
        "CategoryDeleted",
      ]);
      assert.deepEqual(
        (written[0]?.data.productIds as string[]).toSorted(),
        items.toSorted(),
      );
      const moves = written.slice(2);
      assert.equal(moves.length, items.length);
      for (const move of moves) {
        assert.equal(move.type, "ProductUpdated");
        assert.deepEqual(move.data.changes, { categoryId: to });
      }
      for (const id of items) {
        assert.equal((await load(deps, products, id)).state?.categoryId, to);
      }
      assert.equal((await load(deps, categories, from)).state?.deleted, true);
    });

    await t.step("the moved products now hold the target", async () => {
      await assertRefused(s.categories.deleteCategory({ id: to }, commandMeta()), {
        code: "PRECONDITION",
        message: /Cannot delete category "New shelf": it has 5 live products/,
        field: "reassignProductsTo",
      });
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
