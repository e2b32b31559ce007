/**
 * Poison events: a handler that throws sends its event to the dead-letter
 * table and the projection moves on; a rebuild fails on it loudly; a replay
 * after a fix applies it (and the later events of its stream) and removes it.
 */
import assert from "node:assert/strict";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore, type RecordedEvent } from "@shared/event_store/mod.ts";
import { metricsText } from "@shared/observability/mod.ts";
import { sampleValue } from "@shared/testing/observability.ts";
import { listDeadLetters } from "@shared/consumer/mod.ts";
import { readCheckpoint } from "@shared/projection/checkpoint.ts";
import { RebuildError, rebuildProjection } from "@shared/projection/rebuild.ts";
import { replayDeadLetters } from "@shared/projection/replay.ts";
import {
  readModelTables,
  silentLogger,
  waitForHead,
  waitForPosition,
} from "@shared/testing/projection.ts";
import type { Projection } from "@shared/projection/types.ts";
import { CATEGORIES, PRODUCTS, productsProjection } from "@shared/read_models/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { startProjector } from "../../services/projector/app.ts";

const at = () => new Date().toISOString();
const created = (id: string, price: string, categoryId: string) => ({
  type: "ProductCreated",
  data: {
    id,
    name: `Product ${id.slice(0, 4)}`,
    description: null,
    price,
    categoryId,
    createdAt: at(),
  },
});

/** The fix an operator would deploy: this price now reads as 12.00. */
const fixed: Projection = {
  ...productsProjection,
  apply: (tx, events) =>
    productsProjection.apply(
      tx,
      events.map((e): RecordedEvent =>
        e.data.price === "twelve" ? { ...e, data: { ...e.data, price: "12.00" } } : e
      ),
    ),
};

Deno.test("a poison event is dead-lettered, fails a rebuild, and is replayed after a fix", async (t) => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore, { upcasters });
  const logger = silentLogger;
  const projector = await startProjector({
    eventStoreUrl: db.eventStoreUrl,
    readModelUrl: db.readModelUrl,
    logger,
    pollMs: 50,
    leaseCheckMs: 50,
    httpPort: 0,
  });
  const category = crypto.randomUUID();
  const [good, poison, after] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  const names =
    async () => (await db.readModel<{ id: string; name: string; price_cents: string }[]>`
      SELECT id, name, price_cents::text FROM products ORDER BY created_at, id`);
  try {
    await store.append(category, [{
      type: "CategoryCreated",
      data: {
        id: category,
        name: "Tools",
        description: null,
        parentId: null,
        path: [{ id: category, name: "Tools" }],
        depth: 1,
        createdAt: at(),
      },
    }], { aggregateType: "Category", expectedVersion: "no_stream" });
    // One transaction, so one batch: the good events around the poison one must apply.
    await store.appendMany([
      {
        streamId: good,
        aggregateType: "Product",
        expectedVersion: "no_stream",
        events: [created(good, "5.00", category)],
      },
      {
        streamId: poison,
        aggregateType: "Product",
        expectedVersion: "no_stream",
        events: [created(poison, "twelve", category)],
      },
      {
        streamId: after,
        aggregateType: "Product",
        expectedVersion: "no_stream",
        events: [created(after, "7.50", category)],
      },
    ]);
    await store.append(poison, [{
      type: "ProductUpdated",
      data: { id: poison, changes: { name: "Hammer" }, previous: {}, updatedAt: at() },
    }], { aggregateType: "Product", expectedVersion: 1 });
    await waitForHead(db.readModel, db.eventStore, [PRODUCTS, CATEGORIES]);

    await t.step(
      "the poison event goes to the dead-letter table and the rest of its batch applies",
      async () => {
        const [letter, ...others] = await listDeadLetters(db.readModel, PRODUCTS);
        assert.equal(others.length, 0);
        assert.equal(letter?.aggregateId, poison);
        assert.equal(letter?.eventType, "ProductCreated");
        assert.equal(letter?.attempts, 1);
        assert.match(
          letter!.error,
          /TypeError: Cannot read ProductCreated\.price "twelve" as money/,
        );
        assert.deepEqual((await names()).map((r) => r.id).sort(), [good, after].sort());
        // The categories projection has nothing against the event: it counted the product.
        const [counted] = await db.readModel<{ product_count: number }[]>`
        SELECT product_count FROM categories WHERE id = ${category}`;
        assert.equal(counted?.product_count, 3);
        const deadline = Date.now() + 5000;
        let health: Record<string, { deadLetters: number | null; ownedHere: boolean }> = {};
        while (Date.now() < deadline) {
          const res = await fetch(`http://127.0.0.1:${projector.httpPort}/health`);
          health = (await res.json()).projections;
          const metric = sampleValue(await metricsText(), "projection_dead_letters", {
            projection: PRODUCTS,
          });
          if (health[PRODUCTS]?.deadLetters === 1 && metric === 1) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(health[PRODUCTS]?.deadLetters, 1);
        assert.equal(health[PRODUCTS]?.ownedHere, true);
        assert.equal(
          sampleValue(await metricsText(), "projection_dead_letters", { projection: PRODUCTS }),
          1,
        );
      },
    );

    await t.step("a rebuild fails on it loudly and the live tables keep serving", async () => {
      const before = await readModelTables(db.readModel, [productsProjection]);
      await assert.rejects(
        () => rebuildProjection(productsProjection, { store, readModelUrl: db.readModelUrl }),
        (err) => err instanceof RebuildError && err.event?.aggregateId === poison,
      );
      assert.deepEqual(await readModelTables(db.readModel, [productsProjection]), before);
    });

    await t.step("a replay before the fix keeps it, one attempt more", async () => {
      const result = await replayDeadLetters(productsProjection, {
        store,
        readModelUrl: db.readModelUrl,
        logger,
      });
      assert.equal(result.replayed, 0);
      assert.equal(result.failed.length, 1);
      const [letter] = await listDeadLetters(db.readModel, PRODUCTS);
      assert.equal(letter?.attempts, 2);
      assert.ok(letter!.lastFailedAt > letter!.firstFailedAt);
    });

    await t.step(
      "a replay after the fix applies it and the later events of its stream",
      async () => {
        const result = await replayDeadLetters(fixed, { store, readModelUrl: db.readModelUrl });
        assert.deepEqual(result, { projection: PRODUCTS, replayed: 1, failed: [] });
        assert.deepEqual(await listDeadLetters(db.readModel, PRODUCTS), []);
        const row = (await names()).find((r) => r.id === poison);
        assert.equal(row?.name, "Hammer");
        assert.equal(row?.price_cents, "1200");
      },
    );

    await t.step("the live projection carries on after the replay", async () => {
      const late = crypto.randomUUID();
      const { positions } = await store.append(late, [created(late, "1.00", category)], {
        aggregateType: "Product",
        expectedVersion: "no_stream",
      });
      const position = positions.at(-1)!;
      await waitForPosition(db.readModel, [PRODUCTS], position);
      if (!(await names()).some((r) => r.id === late)) {
        // Says what the projection did with the event, should this ever fail.
        const checkpoint = await readCheckpoint(db.readModel, PRODUCTS);
        const letters = await listDeadLetters(db.readModel, PRODUCTS);
        assert.fail(
          `product ${late} missing at its position ${JSON.stringify(position)}; checkpoint ${
            JSON.stringify(checkpoint)
          }; dead letters ${JSON.stringify(letters)}`,
        );
      }
    });
  } finally {
    await projector.stop();
    store.close();
    await db.drop();
  }
});
