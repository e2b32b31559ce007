import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { pipelinedTransaction } from "./transaction.ts";

Deno.test("a pipelined transaction commits all or nothing, with savepoints inside", async (t) => {
  const db = await createTestDatabases();
  const sql = db.eventStore;
  try {
    await sql`CREATE TABLE t (n int PRIMARY KEY)`;
    const rows = async () =>
      (await sql<{ n: number }[]>`SELECT n FROM t ORDER BY n`).map((r) => r.n);

    await t.step("its statements commit together", async () => {
      const answer = await pipelinedTransaction(sql, async (tx) => {
        await tx`INSERT INTO t VALUES (1)`;
        await tx`INSERT INTO t VALUES (2)`;
        return "done";
      });
      assert.equal(answer, "done");
      assert.deepEqual(await rows(), [1, 2]);
    });

    await t.step("an error rolls every statement back and is thrown", async () => {
      await assert.rejects(
        pipelinedTransaction(sql, async (tx) => {
          await tx`INSERT INTO t VALUES (3)`;
          await tx`INSERT INTO t VALUES (1)`; // a duplicate key
        }),
        /duplicate key/,
      );
      assert.deepEqual(await rows(), [1, 2]);
    });

    await t.step("a failed savepoint undoes only its own statements", async () => {
      await pipelinedTransaction(sql, async (tx) => {
        await tx`INSERT INTO t VALUES (4)`;
        await assert.rejects(tx.savepoint(async (sp) => {
          await sp`INSERT INTO t VALUES (5)`;
          await sp`INSERT INTO t VALUES (4)`;
        }));
        await tx.savepoint(async (sp) => await sp`INSERT INTO t VALUES (6)`);
      });
      assert.deepEqual(await rows(), [1, 2, 4, 6]);
    });

    await t.step("the connection goes back to the pool outside any transaction", async () => {
      const [row] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;
      assert.equal(row!.n, 0);
    });
  } finally {
    await db.drop();
  }
});
