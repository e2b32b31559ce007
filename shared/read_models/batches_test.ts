import assert from "node:assert/strict";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore, ORIGIN, type RecordedEvent } from "@shared/event_store/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { seedEvents } from "@shared/testing/projection.ts";
import { project, resetReadModel, snapshot } from "@shared/testing/read_model.ts";
import { readModelProjections } from "./mod.ts";

/** A small seeded generator of batch sizes, so that a failure can be run again. */
function sizes(seed: number, max: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 1 + (state % max);
  };
}

Deno.test("every projection ends with the same rows whatever the batches a catch-up splits the events into", async () => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore, { upcasters });
  try {
    // A catalogue and orders with renames, moves, deletions and sagas, as the crash test seeds.
    await seedEvents(store, 30_000, { lanes: 8, chunk: 2000, seed: 7 });
    const events: RecordedEvent[] = [];
    for (let page = await store.readAll(ORIGIN, 5000); page.length > 0;) {
      events.push(...page);
      page = await store.readAll(page.at(-1)!.position, 5000);
    }
    for (const projection of readModelProjections) {
      await resetReadModel(db.readModel);
      await project(db.readModel, projection, events);
      const whole = await snapshot(db.readModel, projection.tables);
      for (const seed of [1, 2, 3]) {
        await resetReadModel(db.readModel);
        const next = sizes(seed, 2500);
        for (let i = 0; i < events.length;) {
          const n = next();
          await project(db.readModel, projection, events.slice(i, i + n));
          i += n;
        }
        const split = await snapshot(db.readModel, projection.tables);
        assert.ok(split === whole, `${projection.name}: batches of seed ${seed} end otherwise`);
      }
    }
  } finally {
    store.close();
    await db.drop();
  }
});
