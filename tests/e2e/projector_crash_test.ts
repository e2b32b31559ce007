/**
 * Exactly once through crashes: the projector process is killed with SIGKILL
 * at random points of a 50,000-event catch-up, ten times, and restarted. The
 * read model it ends with equals a fresh rebuild of the same events, table by
 * table, for every table of every projection.
 */
import assert from "node:assert/strict";
import {
  connect,
  dropDatabase,
  ensureDatabase,
  type Sql,
  withDatabase,
} from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { readCheckpoints } from "@shared/projection/change_feed.ts";
import { listDeadLetters } from "@shared/consumer/mod.ts";
import { rebuildProjection } from "@shared/projection/rebuild.ts";
import {
  type ProjectorProcess,
  readModelTables,
  seedEvents,
  spawnProjector,
  waitForHead,
} from "@shared/testing/projection.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";

const EVENTS = 50_000;
const KILLS = 10;
const ENV = {
  PROJECTOR_BATCH_SIZE: "2000",
  PROJECTOR_POLL_MS: "50",
  PROJECTOR_LEASE_CHECK_MS: "50",
};
const names = readModelProjections.map((p) => p.name);

/** Events applied, summed over the projections (a checkpoint's id: ids follow the order). */
async function progress(sql: Sql): Promise<number> {
  const checkpoints = await readCheckpoints(sql);
  return names.reduce((sum, name) => sum + Number(checkpoints.get(name)?.id ?? 0), 0);
}

Deno.test("the projector killed with SIGKILL ten times during a catch-up ends equal to a fresh rebuild", async () => {
  const db = await createTestDatabases();
  const freshUrl = withDatabase(
    db.readModelUrl,
    `${new URL(db.readModelUrl).pathname.slice(1)}_fresh`,
  );
  await ensureDatabase(freshUrl);
  const fresh = connect(freshUrl, { max: 2 });
  const store = new EventStore(db.eventStore, { upcasters });
  let projector: ProjectorProcess | undefined;
  try {
    await migrate(fresh, "read_model");
    const last = await seedEvents(store, EVENTS, { lanes: 8, chunk: 2000 });
    const total = names.length * Number(last.id);
    // Ten points spread over the catch-up at random, each past the one before.
    const points = Array.from({ length: KILLS }, (_, i) => (0.03 + (i + Math.random()) * 0.085));
    const killedAt: number[] = [];
    for (const point of points) {
      projector = await spawnProjector(db, ENV, false);
      const deadline = Date.now() + 60_000;
      while ((await progress(db.readModel)) < point * total) {
        if (Date.now() > deadline) assert.fail(`no progress past ${point} of the catch-up`);
        await new Promise((r) => setTimeout(r, 10));
      }
      // Somewhere inside a batch, not on the boundary the loop above happened to see.
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      await projector.kill("SIGKILL");
      projector = undefined;
      killedAt.push(await progress(db.readModel));
    }
    assert.ok(
      killedAt.every((p) => p < total),
      `a kill came after the catch-up had ended: ${killedAt.join(", ")} of ${total}`,
    );

    projector = await spawnProjector(db, ENV, false);
    await waitForHead(db.readModel, db.eventStore, names, 120_000);
    assert.equal(await projector.kill("SIGTERM"), 0);
    projector = undefined;

    await Promise.all(
      readModelProjections.map((projection) =>
        rebuildProjection(projection, { store, readModelUrl: freshUrl, batchSize: 5000 })
      ),
    );
    const recovered = await readModelTables(db.readModel, readModelProjections);
    const rebuilt = await readModelTables(fresh, readModelProjections);
    assert.deepEqual([...recovered.keys()], [...rebuilt.keys()]);
    for (const [table, rows] of rebuilt) {
      assert.ok(rows.length > 0, `table ${table} is empty`);
      assert.ok(recovered.get(table) === rows, `table ${table} differs from a fresh rebuild`);
    }
    assert.deepEqual(await listDeadLetters(db.readModel), []);
  } finally {
    await projector?.kill("SIGKILL");
    store.close();
    await fresh.end();
    await dropDatabase(freshUrl);
    await db.drop();
  }
});
