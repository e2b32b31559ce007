import assert from "node:assert/strict";
import { eventLog } from "@proto/command/v1/contract.ts";
import { categoryDecider } from "@shared/domain/category/mod.ts";
import { productDecider } from "@shared/domain/product/mod.ts";
import { fold } from "@shared/domain/shared/decider.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { upcast } from "@shared/event_store/upcast.ts";
import { createClient } from "@shared/grpc/client.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import {
  assertRefused,
  commandMeta,
  startTestService,
  type TestService,
} from "@shared/testing/command.ts";

type Folder = Parameters<typeof fold>[0];

/** The stream as stored, lifted by the domain's upcasters: what the deciders fold. */
async function upcastStream(s: TestService, id: string) {
  const rows = await s.db.eventStore<
    { event_type: string; schema_version: number; event_data: Record<string, unknown> }[]
  >`SELECT event_type, schema_version, event_data FROM events
    WHERE aggregate_id = ${id} ORDER BY event_version`;
  return rows.map((r) =>
    upcast(upcasters, { type: r.event_type, schemaVersion: r.schema_version, data: r.event_data })
  );
}

/** Asserts the state after every version equals the decider's own fold of the events up to it. */
async function assertFoldsLikeDecider(
  s: TestService,
  history: { entries: { event: { version: number }; state: string }[] },
  id: string,
  decider: Folder,
) {
  const events = await upcastStream(s, id);
  assert.equal(history.entries.length, events.length);
  history.entries.forEach((entry, i) => {
    assert.equal(entry.event.version, i + 1);
    const expected = fold(decider, events.slice(0, i + 1));
    assert.deepEqual(JSON.parse(entry.state), JSON.parse(JSON.stringify(expected)));
  });
}

Deno.test("aggregateHistory folds every version with the aggregate's own evolve", async (t) => {
  const s = await startTestService();
  const { authorization } = await bearer("clerk", ["staff"]);
  const log = actingAs(createClient(eventLog, `127.0.0.1:${s.service.port}`), authorization);
  try {
    const shoes = (await s.categories.createCategory({ name: "Shoes" }, commandMeta())).id;
    await s.categories.updateCategory({ id: shoes, name: "Footwear" }, commandMeta());

    await t.step("a category: its state at each version is the decider's fold", async () => {
      const history = await log.aggregateHistory({ aggregateId: shoes });
      assert.equal(history.aggregateType, "Category");
      assert.equal(history.version, 2);
      assert.equal(JSON.parse(history.state).name, "Footwear");
      await assertFoldsLikeDecider(s, history, shoes, categoryDecider as Folder);
    });

    // A product written by the v1 code: its price a JSON number.
    const runner = crypto.randomUUID();
    await s.db.eventStore`
      INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES (${runner}, 'Product', 1)`;
    const v1 = {
      id: runner,
      name: "Runner",
      description: null,
      price: 19.99,
      categoryId: shoes,
      createdAt: "2023-01-01T00:00:00.000Z",
    };
    await s.db.eventStore`
      INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
        event_version, schema_version, created_at)
      VALUES (${crypto.randomUUID()}, ${runner}, 'Product', 'ProductCreated',
        ${s.db.eventStore.json(v1)}, 1, 1, '2023-01-01T00:00:00Z')`;
    await s.products.updateProduct({ id: runner, price: "25.00" }, commandMeta());

    await t.step("a product with a v1 event: the upcast price folds as v2 would", async () => {
      const history = await log.aggregateHistory({ aggregateId: runner });
      assert.equal(history.aggregateType, "Product");
      assert.equal(history.entries[0]!.event.schemaVersion, 2, "the v1 event is read upcast");
      assert.equal(JSON.parse(history.entries[0]!.state).price, 1999);
      assert.equal(JSON.parse(history.state).price, 2500);
      await assertFoldsLikeDecider(s, history, runner, productDecider as Folder);
    });

    await t.step("the state as of a version, or of a moment", async () => {
      const first = await log.aggregateHistory({ aggregateId: runner, asOfVersion: 1 });
      assert.equal(first.version, 1);
      assert.equal(JSON.parse(first.state).price, 1999);
      const in2024 = await log.aggregateHistory({
        aggregateId: runner,
        asOf: "2024-01-01T00:00:00Z",
      });
      assert.equal(in2024.version, 1, "only the 2023 event was recorded by then");
      const before = await log.aggregateHistory({
        aggregateId: runner,
        asOf: "2020-01-01T00:00:00Z",
      });
      assert.equal(before.version, 0);
      assert.equal(before.state, "null");
    });

    await t.step("an unknown stream has no history; bad input names the field", async () => {
      const none = await log.aggregateHistory({ aggregateId: crypto.randomUUID() });
      assert.deepEqual([none.entries.length, none.version, none.state], [0, 0, "null"]);
      // The client checks its input too, so the refusal may come before the call leaves.
      await assertRefused(
        Promise.resolve().then(() => log.aggregateHistory({ aggregateId: "nope" })),
        {
          code: "VALIDATION",
          message: /aggregateId/,
          field: "aggregateId",
        },
      );
      await assertRefused(
        Promise.resolve().then(() =>
          log.aggregateHistory({ aggregateId: runner, asOf: "yesterday" })
        ),
        {
          code: "VALIDATION",
          message: /ISO 8601/,
          field: "asOf",
        },
      );
    });
  } finally {
    log.close();
    await s.stop();
  }
});
