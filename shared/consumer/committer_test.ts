import assert from "node:assert/strict";
import type { TxSql } from "@shared/db/connect.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { checkpointTable } from "./checkpoint.ts";
import { type Batch, BatchCommitter } from "./committer.ts";
import { Lease, openLeaseSession } from "./lease.ts";

Deno.test("a handler that throws before its first await fails only its own batch of a shared transaction", async () => {
  const db = await createTestDatabases();
  const committer = new BatchCommitter(openLeaseSession(db.readModelUrl, "committer-test"));
  const { session } = committer;
  try {
    await db.readModel`CREATE TABLE kept (n int PRIMARY KEY)`;
    await db.readModel`
      CREATE TABLE kept_checkpoints (name text PRIMARY KEY, transaction_id xid8 NOT NULL,
        position bigint NOT NULL, updated_at timestamptz NOT NULL)`;
    const checkpoints = checkpointTable("kept_checkpoints", "name");
    const batchOf = (name: string, apply: (tx: TxSql) => Promise<void>): Batch => ({
      lease: new Lease(session, name),
      checkpoints,
      position: { transactionId: "1", id: "1" },
      apply,
      notices: () => [],
    });
    const writer = batchOf("writer", async (tx) => {
      await tx`INSERT INTO kept VALUES (1)`;
      // Its second statement goes out after the other handler has thrown.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await tx`INSERT INTO kept VALUES (2)`;
    });
    // Not async: it throws as it is called, before the committer has a promise of it.
    const thrower = batchOf("thrower", () => {
      throw new Error("refused before any statement");
    });
    for (const b of [writer, thrower]) assert.equal(await b.lease.tryAcquire(), true);

    const [wrote, threw] = await Promise.allSettled([
      committer.commit(writer),
      committer.commit(thrower),
    ]);
    assert.equal(wrote.status, "fulfilled", String((wrote as PromiseRejectedResult).reason));
    assert.equal(threw.status, "rejected");
    assert.match(String((threw as PromiseRejectedResult).reason), /refused before any statement/);
    const rows = await db.readModel<{ n: number }[]>`SELECT n FROM kept ORDER BY n`;
    assert.deepEqual(rows.map((r) => r.n), [1, 2]);
    const names = await db.readModel<{ name: string }[]>`SELECT name FROM kept_checkpoints`;
    assert.deepEqual(names.map((r) => r.name), ["writer"]);
  } finally {
    await session.end({ timeout: 5 });
    await db.drop();
  }
});
