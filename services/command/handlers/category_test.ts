import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@shared/grpc/proto.ts";
import { bearer } from "@shared/testing/auth.ts";
import { decodeStatusDetails } from "@shared/grpc/status_details.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { assertRefused, commandMeta, startTestService } from "@shared/testing/command.ts";

Deno.test("category commands over gRPC", async (t) => {
  const s = await startTestService();
  const { categories, products } = s;
  const create = (input: Parameters<typeof categories.createCategory>[0]) =>
    categories.createCategory(input, commandMeta());
  /** Runs a refused call and checks that nothing was appended. */
  const refused = async (
    call: () => Promise<unknown>,
    expected: Parameters<typeof assertRefused>[1],
  ) => {
    const before = await s.eventCount();
    await assertRefused(Promise.resolve().then(call), expected);
    assert.equal(await s.eventCount(), before, "a refused command appends nothing");
  };
  try {
    let shoes = "";
    let running = "";
    await t.step("createCategory creates a root and a child with their paths", async () => {
      const root = await create({ name: "  Shoes ", description: "Footwear" });
      assert.equal(root.version, 1);
      assert.notEqual(root.position, "0");
      shoes = root.id;
      running = (await create({ name: "Running", parentId: shoes })).id;
      const [event] = await s.events(running);
      assert.equal(event?.type, "CategoryCreated");
      assert.deepEqual(event?.data.path, [{ id: shoes, name: "Shoes" }, {
        id: running,
        name: "Running",
      }]);
      assert.equal(event?.data.depth, 2);
    });

    await t.step("without an id, the id derives from the command id", async () => {
      const commandId = crypto.randomUUID();
      const result = await categories.createCategory({ name: "Hats" }, commandMeta(commandId));
      assert.equal(result.id, deriveId("category", commandId));
    });

    await t.step("createCategory refusals name the rule and the field", async () => {
      await refused(() => create({ name: "   " }), {
        code: "VALIDATION",
        message: /name: must not be empty/,
        field: "name",
      });
      await refused(() => create({ name: "x".repeat(101) }), {
        code: "VALIDATION",
        message: /at most 100 characters/,
        field: "name",
      });
      const missing = crypto.randomUUID();
      await refused(() => create({ name: "Orphan", parentId: missing }), {
        code: "NOT_FOUND",
        message: new RegExp(`Cannot create category "Orphan": parent "${missing}" does not exist`),
        field: "parentId",
      });
      await refused(() => create({ name: "rUNNING", parentId: shoes }), {
        code: "CONFLICT",
        message: /Cannot create category "rUNNING": a sibling named "Running" already exists/,
        field: "name",
      });
      await refused(() => create({ id: shoes, name: "Again" }), {
        code: "CONFLICT",
        message: /already exists/,
        field: "id",
      });
      let parent = running;
      for (const level of [3, 4, 5]) {
        parent = (await create({ name: `L${level}`, parentId: parent })).id;
      }
      await refused(() => create({ name: "L6", parentId: parent }), {
        code: "PRECONDITION",
        message: /Cannot create category "L6": it would sit at depth 6, deeper than 5/,
        field: "parentId",
      });
    });

    await t.step(
      "the server itself validates: a raw call gets INVALID_ARGUMENT naming the field",
      async () => {
        const Raw = grpc.makeGenericClientConstructor(
          serviceDefinition("command/v1/command.proto", "cqrs.command.v1.CategoryCommands"),
          "CategoryCommands",
        );
        const raw = new Raw(`127.0.0.1:${s.service.port}`, grpc.credentials.createInsecure()) as
          & grpc.Client
          & Record<
            string,
            (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void) => void
          >;
        try {
          const before = await s.eventCount();
          const metadata = new grpc.Metadata();
          metadata.set("authorization", (await bearer("test-staff", ["staff"])).authorization);
          const err = await new Promise<grpc.ServiceError | null>((resolve) =>
            raw.CreateCategory!({ name: " ", parentId: "not-a-uuid" }, metadata, resolve)
          );
          assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
          const details = decodeStatusDetails(
            err?.metadata.get("grpc-status-details-bin")[0] as Uint8Array,
          );
          assert.equal(details?.reason, "VALIDATION");
          assert.deepEqual(details?.issues?.map((i) => i.field), ["name", "parentId"]);
          assert.match(err?.details ?? "", /name: must not be empty; parentId: must be a UUID/);
          assert.equal(await s.eventCount(), before);
        } finally {
          raw.close();
        }
      },
    );

    await t.step("a rename rebases every descendant's path in the same transaction", async () => {
      const result = await categories.updateCategory(
        { id: shoes, name: "Footwear" },
        commandMeta(),
      );
      assert.equal(result.version, 2);
      const all = await s.events();
      const tx = all.filter((e) => e.transactionId === result.transactionId);
      assert.deepEqual(tx.map((e) => e.type), [
        "CategoryUpdated",
        "CategoryPathChanged",
        "CategoryPathChanged",
        "CategoryPathChanged",
        "CategoryPathChanged",
      ]);
      const deepest = tx.at(-1)!.data.newPath as { name: string }[];
      assert.deepEqual(deepest.map((p) => p.name), ["Footwear", "Running", "L3", "L4", "L5"]);
    });

    await t.step("a move and a move to the root follow the depth and cycle rules", async () => {
      const hats = (await create({ name: "Caps" })).id;
      const moved = await categories.updateCategory({ id: hats, parentId: running }, commandMeta());
      const [, move] = await s.events(hats);
      assert.equal(move?.type, "CategoryMoved");
      assert.equal(move?.data.newDepth, 3);
      assert.equal(moved.version, 2);
      await categories.updateCategory({ id: hats, makeRoot: true }, commandMeta());
      assert.equal((await s.events(hats)).at(-1)?.data.newParentId, null);

      await refused(() => categories.updateCategory({ id: shoes, parentId: running }), {
        code: "PRECONDITION",
        message: /Cannot move category "Footwear": it would create a cycle/,
        field: "parentId",
      });
      const deeper = (await create({ name: "Deeper", parentId: hats })).id;
      await refused(() => categories.updateCategory({ id: running, parentId: deeper }), {
        code: "PRECONDITION",
        message: /a descendant would sit at depth 6, deeper than 5/,
        field: "parentId",
      });
      await refused(() => categories.updateCategory({ id: hats, name: "footwear" }), {
        code: "CONFLICT",
        message: /Cannot rename category "footwear": a sibling named "Footwear" already exists/,
        field: "name",
      });
      await refused(() => categories.updateCategory({ id: crypto.randomUUID(), name: "X" }), {
        code: "NOT_FOUND",
        message: /Cannot update category ".*": it does not exist/,
        field: "id",
      });
      await refused(
        () => categories.updateCategory({ id: hats, parentId: shoes, makeRoot: true }),
        {
          code: "VALIDATION",
          message: /must not be set together with makeRoot/,
          field: "parentId",
        },
      );
    });

    await t.step("an update that changes nothing appends nothing", async () => {
      const before = await s.eventCount();
      const result = await categories.updateCategory(
        { id: shoes, name: "Footwear" },
        commandMeta(),
      );
      assert.equal(result.version, 2);
      assert.equal(result.position, "0");
      assert.equal(await s.eventCount(), before);
    });

    await t.step("deleteCategory refuses children and live products, then deletes", async () => {
      await refused(() => categories.deleteCategory({ id: shoes }), {
        code: "PRECONDITION",
        message: /Cannot delete category "Footwear": it has 1 subcategory/,
        field: "id",
      });
      const bags = (await create({ name: "Bags" })).id;
      await products.createProduct(
        { name: "Tote", price: "19.99", categoryId: bags },
        commandMeta(),
      );
      await refused(() => categories.deleteCategory({ id: bags }), {
        code: "PRECONDITION",
        message: /Cannot delete category "Bags": it has 1 live product/,
        field: "reassignProductsTo",
      });
      await refused(() => categories.deleteCategory({ id: bags, reassignProductsTo: bags }), {
        code: "VALIDATION",
        message: /must name another category/,
        field: "reassignProductsTo",
      });
      await refused(
        () => categories.deleteCategory({ id: bags, reassignProductsTo: crypto.randomUUID() }),
        { code: "NOT_FOUND", message: /category ".*" does not exist/, field: "reassignProductsTo" },
      );
      const empty = (await create({ name: "Empty" })).id;
      const deleted = await categories.deleteCategory(
        { id: empty, reason: "unused" },
        commandMeta(),
      );
      assert.equal(deleted.version, 2);
      assert.equal((await s.events(empty)).at(-1)?.data.reason, "unused");
      await refused(() => categories.deleteCategory({ id: empty }), {
        code: "PRECONDITION",
        message: /Cannot delete category "Empty": it is deleted/,
        field: "id",
      });
      await refused(() => create({ name: "Child", parentId: empty }), {
        code: "PRECONDITION",
        message: /Cannot create category "Child": parent "Empty" is deleted/,
        field: "parentId",
      });
      // A deleted category frees its name.
      await create({ name: "empty" });
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
