import assert from "node:assert/strict";
import { DEVELOPMENT_SECRET, signServiceToken } from "@shared/auth/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { assertRefused, commandMeta, startTestService } from "@shared/testing/command.ts";

Deno.test("command ids make commands idempotent and events carry the call's metadata", async (t) => {
  const s = await startTestService();
  try {
    await t.step("a retried command id returns the first result and appends nothing", async () => {
      const commandId = crypto.randomUUID();
      const first = await s.categories.createCategory({ name: "Garden" }, commandMeta(commandId));
      const count = await s.eventCount();
      // The decider would now refuse it (the name is taken): the retry never reaches it.
      const again = await s.categories.createCategory({ name: "Garden" }, commandMeta(commandId));
      assert.deepEqual(again, first);
      assert.equal(first.id, deriveId("category", commandId));
      assert.equal(await s.eventCount(), count);
    });

    await t.step("a command id sent again with another input is refused", async () => {
      const commandId = crypto.randomUUID();
      await s.categories.createCategory({ name: "Patio" }, commandMeta(commandId));
      const count = await s.eventCount();
      await assertRefused(
        s.categories.createCategory({ name: "Other" }, commandMeta(commandId)),
        { code: "IDEMPOTENCY_KEY_REUSED", message: /another input/, field: "x-command-id" },
      );
      // Another RPC under the same command id is another input too.
      await assertRefused(
        s.categories.deleteCategory(
          { id: deriveId("category", commandId) },
          commandMeta(commandId),
        ),
        { code: "IDEMPOTENCY_KEY_REUSED", message: /another input/, field: "x-command-id" },
      );
      assert.equal(await s.eventCount(), count);
    });

    await t.step("a retry answers what the first run answered, not the current state", async () => {
      const category = (await s.categories.createCategory({ name: "Lamps" }, commandMeta())).id;
      const commandId = crypto.randomUUID();
      const input = { name: "Desk lamp", price: "20.00", categoryId: category };
      const first = await s.products.createProduct(input, commandMeta(commandId));
      assert.equal(JSON.parse(first.state!).price, "20.00");
      await s.products.updateProduct({ id: first.id, price: "25.00" }, commandMeta());
      assert.deepEqual(await s.products.createProduct(input, commandMeta(commandId)), first);
    });

    await t.step("concurrent copies of one command id take effect once", async () => {
      const commandId = crypto.randomUUID();
      const category = (await s.categories.createCategory({ name: "Tools" }, commandMeta())).id;
      const results = await Promise.all(Array.from({ length: 6 }, () =>
        s.products.createProduct(
          { name: "Saw", price: "12.00", categoryId: category },
          commandMeta(commandId),
        )));
      // The same answer for all, the product's state included (a replay answers from the
      // stored result).
      for (const result of results) assert.deepEqual(result, results[0]);
      assert.notEqual(results[0]!.state, undefined);
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
        // Besides the call's metadata and caller: the hash of its input and its answer, for retries.
        const { inputHash, answer, ...stored } = (await s.events(root.id))[0]!.metadata;
        assert.deepEqual(stored, {
          ...sent,
          userId: "user-9",
          roles: ["staff"],
          tenantId: "tenant-1",
        });
        assert.match(String(inputHash), /^[0-9a-f]{64}$/);
        assert.equal((answer as { name?: string }).name, "Audit");
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

Deno.test("a command whose caller gave up before it could commit is not committed; its retry is, once", async () => {
  const s = await startTestService();
  const blocker = await s.db.eventStore.reserve();
  try {
    const commandId = crypto.randomUUID();
    const count = await s.eventCount();
    // Every read of the events table waits: the command is held in its first reads.
    await blocker`BEGIN`;
    await blocker`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`;
    const sent = s.categories.createCategory({ name: "Late" }, {
      ...commandMeta(commandId),
      timeoutMs: 300,
    });
    await assert.rejects(sent);
    await blocker`COMMIT`;
    // The service carries on with the abandoned command now, and must not commit it.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await s.eventCount(), count);
    const retried = await s.categories.createCategory({ name: "Late" }, commandMeta(commandId));
    assert.equal(retried.id, deriveId("category", commandId));
    assert.equal(await s.eventCount(), count + 1);
  } finally {
    blocker.release();
    await s.stop();
  }
});
