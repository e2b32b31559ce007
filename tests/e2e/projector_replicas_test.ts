/**
 * Replicas: two projector processes share the projections through advisory
 * lock leases, one owner each; when the owner is killed, the other takes
 * every projection over and carries on exactly where it stopped.
 */
import assert from "node:assert/strict";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { lockHolders } from "@shared/consumer/mod.ts";
import {
  differencesFromFreshRebuild,
  type ProjectorHealth,
  type ProjectorProcess,
  seedEvents,
  spawnProjector,
  waitForHead,
} from "@shared/testing/projection.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";

const ENV = { PROJECTOR_POLL_MS: "50", PROJECTOR_LEASE_CHECK_MS: "100" };
const names = readModelProjections.map((p) => p.name);

async function until(
  replica: ProjectorProcess,
  check: (health: ProjectorHealth) => boolean,
  what: string,
): Promise<ProjectorHealth> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const health = await replica.health();
    if (check(health)) return health;
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting until ${what}: ${JSON.stringify(health)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("two projector replicas: one owner per projection, and a takeover when the owner is killed", async (t) => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore, { upcasters });
  const replicas: ProjectorProcess[] = [];
  try {
    await seedEvents(store, 2000, { seed: 1 });
    const a = await spawnProjector(db, ENV);
    replicas.push(a);
    const first = await until(
      a,
      (h) => names.every((n) => h.projections[n]?.ownedHere),
      "the first replica owns every projection",
    );
    const b = await spawnProjector(db, ENV);
    replicas.push(b);

    await t.step("the second replica stands by while the first owns every projection", async () => {
      await seedEvents(store, 2000, { seed: 2 });
      await waitForHead(db.readModel, db.eventStore, names);
      const standby = await b.health();
      for (const name of names) {
        assert.equal(standby.projections[name]?.ownedHere, false);
        assert.equal(standby.projections[name]?.owner, first.replica);
      }
      const holders = await lockHolders(db.readModel, names);
      assert.deepEqual(
        holders.filter((h) => h.kind === "lease").map((h) => h.consumer).sort(),
        [...names].sort(),
      );
      assert.ok(holders.every((h) => h.applicationName === first.replica));
    });

    await t.step("killing the owner hands every projection to the other", async () => {
      await a.kill("SIGKILL");
      replicas.shift();
      const more = seedEvents(store, 2000, { seed: 3 });
      const after = await until(
        b,
        (h) => names.every((n) => h.projections[n]?.ownedHere),
        "the second replica owns every projection",
      );
      assert.notEqual(after.replica, first.replica);
      await more;
      await waitForHead(db.readModel, db.eventStore, names);
    });

    await t.step(
      "the read model equals a fresh rebuild: nothing lost or applied twice",
      async () => {
        assert.deepEqual(
          await differencesFromFreshRebuild(store, db.readModelUrl, readModelProjections),
          [],
          "tables that differ from a fresh rebuild",
        );
      },
    );
  } finally {
    for (const replica of replicas) await replica.kill("SIGKILL");
    store.close();
    await db.drop();
  }
});
