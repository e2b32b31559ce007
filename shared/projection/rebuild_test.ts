import assert from "node:assert/strict";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";

/** Tables of the projector itself, rebuilt by no projection. */
const BOOKKEEPING = ["schema_migrations", "projection_checkpoints", "projection_dead_letters"];

Deno.test("every read-model table belongs to exactly one projection, so a rebuild recreates them all", async () => {
  const db = await createTestDatabases();
  try {
    const rows = await db.readModel<{ name: string }[]>`
      SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`;
    const owned = readModelProjections.flatMap((p) => p.tables);
    assert.equal(new Set(owned).size, owned.length, "a table is claimed twice");
    assert.deepEqual(
      rows.map((r) => r.name).filter((t) => !BOOKKEEPING.includes(t)),
      [...owned].sort(),
    );
  } finally {
    await db.drop();
  }
});
