import assert from "node:assert/strict";
import { DEVELOPMENT_SECRET, signServiceToken } from "@shared/auth/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { commandMeta, startTestService } from "./_testing.ts";

Deno.test("command ids make commands idempotent and events carry the call's metadata", async (t) => {
  const s = await startTestService();
  try {
    await t.step("a retried command id returns the first result and appends nothing", async () => {
      const commandId = crypto.randomUUID();
      const first = await s.categories.createCategory({ name: "Garden" }, commandMeta(commandId));
      const count = await s.eventCount();
      // The decider would now refuse it (the name is taken), and the input even differs.
      const again = await s.categories.createCategory({ name: "Garden" }, commandMeta(commandId));
      const changed = await s.categories.createCategory({ name: "Other" }, commandMeta(commandId));
      assert.deepEqual(again, first);
      assert.deepEqual(changed, first);
      assert.equal(first.id, deriveId("category", commandId));
      assert.equal(await s.eventCount(), count);
    });

    await t.step("concurrent copies of one command id take effect once", async () => {
      const commandId = crypto.randomUUID();
      const category = (await s.categories.createCategory({ name: "Tools" }, commandMeta())).id;
      const results = await Promise.all(Array.from({ length: 6 }, () =>
        s.products.createProduct(
          { name: "Saw", price: "12.00", categoryId: category },
          commandMeta(commandId),
        )));
      // The same id, version and position for all; only the run that appended carries the
      // product's state (a replay answers from the stored result, which has none).
      const outcome = ({ state: _, ...rest }: (typeof results)[number]) => rest;
      for (const result of results) assert.deepEqual(outcome(result), outcome(results[0]!));
      assert.equal(results.filter((r) => r.state !== undefined).length, 1);
      assert.equal((await s.events(results[0]!.id)).length, 1);
    });

    await t.step("a retried multi-stream command returns its first result", async () => {
      const from = (await s.categories.createCategory({ name: "Sheds" }, commandMeta())).id;
      const to = (await s.categories.createCategory({ name: "Huts" }, commandMeta())).id;
      await s.products.createProduct(
        { name: "Shed", price: "99.00", categoryId: from },
        commandMeta(),
      );
      const commandId = crypto.randomUUID();
      const input = { id: from, reassignProductsTo: to };
      const first = await s.categories.deleteCategory(input, commandMeta(commandId));
      const count = await s.eventCount();
      assert.deepEqual(await s.categories.deleteCategory(input, commandMeta(commandId)), first);
      assert.equal(await s.eventCount(), count);
    });

    await t.step(
      "the call's metadata and verified caller land in every event's metadata",
      async () => {
        const token = await signServiceToken(
          { subject: "user-9", roles: ["staff"], tenant: "tenant-1" },
          { secret: DEVELOPMENT_SECRET },
        );
        const sent = {
          commandId: crypto.randomUUID(),
          correlationId: "corr-42",
          causationId: "cause-7",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        };
        const metadata = { ...sent, consistencyToken: "1:1", authorization: `Bearer ${token}` };
        const root = await s.categories.createCategory({ name: "Audit" }, { metadata });
        const child = await s.categories.createCategory(
          { name: "Child", parentId: root.id },
          commandMeta(),
        );
        const renamed = await s.categories.updateCategory({ id: root.id, name: "Audited" }, {
          metadata: { ...metadata, commandId: crypto.randomUUID() },
        });
        assert.deepEqual((await s.events(root.id))[0]?.metadata, {
          ...sent,
          userId: "user-9",
          roles: ["staff"],
          tenantId: "tenant-1",
        });
        // Every stream a command writes carries its metadata.
        const rebased = (await s.events(child.id)).at(-1)!;
        assert.equal(rebased.transactionId, renamed.transactionId);
        assert.equal(rebased.metadata.correlationId, "corr-42");
        assert.equal(rebased.metadata.userId, "user-9");
      },
    );

    await t.step("a command id that is not a UUID is refused", async () => {
      await assert.rejects(
        s.categories.createCategory({ name: "X" }, { metadata: { commandId: "retry-1" } }),
        (err: Error) => /x-command-id: must be a UUID, got "retry-1"/.test(err.message),
      );
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
