import assert from "node:assert/strict";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { migrationFiles } from "@shared/db/migrate.ts";
import { testServerUrl } from "@shared/testing/db.ts";

const MERGE = "006_sagas_into_orders.sql";

/** A read model migrated up to, not including, the merge; then the merge on `checkpoints`. */
async function merged(
  checkpoints: Record<string, [string, string]>,
): Promise<Record<string, string>> {
  const url = withDatabase(testServerUrl(), `t_${crypto.randomUUID().slice(0, 8)}_merge`);
  await ensureDatabase(url);
  const sql = connect(url, { max: 1 });
  try {
    const files = await migrationFiles("read_model");
    for (const file of files.filter((f) => f.name < MERGE)) await sql.unsafe(file.sql);
    for (const [projection, [tx, position]] of Object.entries(checkpoints)) {
      await sql`INSERT INTO projection_checkpoints (projection, transaction_id, position)
        VALUES (${projection}, ${tx}::xid8, ${position})`;
    }
    await sql.unsafe(files.find((f) => f.name === MERGE)!.sql);
    const rows = await sql<{ projection: string; at: string }[]>`
      SELECT projection, transaction_id::text || ':' || position AS at FROM projection_checkpoints`;
    return Object.fromEntries(rows.map((r) => [r.projection, r.at]));
  } finally {
    await sql.end();
    await dropDatabase(url);
  }
}

Deno.test("merging sagas into orders resumes the orders projection from the older checkpoint", async () => {
  assert.deepEqual(
    await merged({ orders: ["50", "500"], sagas: ["40", "400"], products: ["60", "600"] }),
    { orders: "40:400", products: "60:600" },
  );
  assert.deepEqual(
    await merged({ orders: ["40", "400"], sagas: ["50", "500"] }),
    { orders: "40:400" },
  );
  // saga_states never received a batch: the orders projection replays from the start.
  assert.deepEqual(await merged({ orders: ["40", "400"] }), { orders: "0:0" });
  assert.deepEqual(await merged({ sagas: ["40", "400"] }), {});
});
