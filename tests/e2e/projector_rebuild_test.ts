/**
 * Operations: `deno task projections:status` and `projections:rebuild` run
 * against a live system. The rebuild swaps new tables in while a projector
 * process applies new events and readers keep reading, and the projection
 * carries on from the rebuilt checkpoint: the end result equals a fresh
 * rebuild, with the same indexes and views, and nothing left behind.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { connect, type Sql } from "@shared/db/connect.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import type { ProjectionStatus } from "@shared/projection/status.ts";
import {
  differencesFromFreshRebuild,
  type ProjectorProcess,
  seedEvents,
  spawnProjector,
  waitForHead,
} from "@shared/testing/projection.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { createTestDatabases, type TestDatabases } from "@shared/testing/db.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const names = readModelProjections.map((p) => p.name);

async function task(
  db: TestDatabases,
  script: string,
  args: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `scripts/${script}.ts`, ...args],
    cwd: root,
    env: { EVENT_STORE_URL: db.eventStoreUrl, READ_MODEL_URL: db.readModelUrl, LOG_LEVEL: "warn" },
    stdin: "null",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: result.code, out: decode(result.stdout), err: decode(result.stderr) };
}

async function shape(sql: Sql): Promise<string[]> {
  const rows = await sql<{ def: string }[]>`
    SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'view ' || viewname || ': ' || definition FROM pg_views
    WHERE schemaname = 'public'
    UNION ALL SELECT 'unlogged ' || relname FROM pg_class
    WHERE relpersistence = 'u' AND relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
    WHERE nspname LIKE 'rebuild\\_%' OR nspname LIKE 'retired\\_%'
    ORDER BY 1`;
  return rows.map((r) => r.def);
}

Deno.test("projections:status and projections:rebuild on a live system", async (t) => {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore, { upcasters });
  let projector: ProjectorProcess | undefined;
  try {
    await seedEvents(store, 3000, { seed: 11 });
    projector = await spawnProjector(db, {
      PROJECTOR_POLL_MS: "50",
      PROJECTOR_LEASE_CHECK_MS: "100",
    });
    const replica = (await projector.health()).replica;
    await waitForHead(db.readModel, db.eventStore, names);
    const before = await shape(db.readModel);

    await t.step("projections:status lists every projection with its owner and lag", async () => {
      const text = await task(db, "projections_status");
      assert.equal(text.code, 0, text.err);
      for (const name of names) assert.match(text.out, new RegExp(`^${name} .*${replica}`, "m"));
      const json = await task(db, "projections_status", ["--json"]);
      const rows = JSON.parse(json.out) as ProjectionStatus[];
      assert.deepEqual(rows.map((r) => r.projection), names);
      for (const row of rows) {
        assert.equal(row.lagEvents, 0);
        assert.equal(row.deadLetters, 0);
        assert.equal(row.owner?.applicationName, replica);
      }
    });

    await t.step(
      "a rebuild swaps new tables in while events keep coming and readers keep reading",
      async () => {
        const reader = connect(db.readModelUrl, { max: 1 });
        const [old] = await db.readModel<{ oid: string }[]>`
        SELECT 'products'::regclass::oid::text AS oid`;
        let writing = true, reading = true, seed = 100, reads = 0, lastCount = 0;
        let readError: unknown;
        const writes = (async () => {
          while (writing) {
            await seedEvents(store, 100, { seed: seed++, lanes: 1 });
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
        // Prepared statements, as the query service's: re-planned against the new tables.
        const readsDone = (async () => {
          while (reading) {
            const [row] = await reader<{ n: number }[]>`
            SELECT count(*)::int AS n FROM product_rows WHERE NOT deleted AND stock >= 0`;
            assert.ok(row!.n >= lastCount, `the product count went back: ${row!.n} < ${lastCount}`);
            lastCount = row!.n;
            reads++;
          }
        })();
        try {
          const rebuilt = await task(db, "projections_rebuild");
          assert.equal(rebuilt.code, 0, rebuilt.err);
          for (const name of names) {
            assert.match(rebuilt.out, new RegExp(`^${name}: \\d+ events applied`, "m"));
          }
        } finally {
          writing = false;
          reading = false;
          await Promise.all([writes, readsDone]);
          await reader.end();
        }
        assert.equal(readError, undefined, `a read failed during the rebuild: ${readError}`);
        assert.ok(reads > 0);
        const [now] = await db.readModel<{ oid: string }[]>`
        SELECT 'products'::regclass::oid::text AS oid`;
        assert.notEqual(now?.oid, old?.oid, "the products table was not swapped");
        assert.deepEqual(await shape(db.readModel), before);
      },
    );

    await t.step(
      "the live projection carries on from the rebuilt checkpoint, exactly once",
      async () => {
        await seedEvents(store, 300, { seed: 999, lanes: 1 });
        await waitForHead(db.readModel, db.eventStore, names);
        const health = await projector!.health();
        assert.ok(names.every((n) => health.projections[n]?.ownedHere), JSON.stringify(health));
        assert.deepEqual(
          await differencesFromFreshRebuild(store, db.readModelUrl, readModelProjections),
          [],
          "tables that differ from a fresh rebuild",
        );
      },
    );

    await t.step("an unknown projection is refused, naming the known ones", async () => {
      const result = await task(db, "projections_rebuild", ["nope"]);
      assert.equal(result.code, 1);
      assert.match(result.err, /Unknown projection "nope": expected one of categories, products/);
    });
  } finally {
    await projector?.kill("SIGTERM");
    store.close();
    await db.drop();
  }
});
