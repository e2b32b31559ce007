import assert from "node:assert/strict";
import { refusalOf } from "@shared/event_store/mod.ts";
import {
  createTestDatabases,
  queries,
  type TestDatabases,
  waitForAdvisoryWait,
  watchedPool,
} from "@shared/testing/db.ts";
import { openPostgres, type TxSql } from "./connect.ts";
import { isConnectionFailure } from "./errors.ts";
import { CommitRefusedError, pipelinedTransaction, transactionAtOnce } from "./transaction.ts";

/** A test on a fresh database with a table `t (n int PRIMARY KEY)`, and what `t` holds. */
function tableTest(
  name: string,
  body: (t: Deno.TestContext, db: TestDatabases, rows: () => Promise<number[]>) => Promise<void>,
): void {
  Deno.test(name, async (t) => {
    const db = await createTestDatabases();
    try {
      await db.eventStore`CREATE TABLE t (n int PRIMARY KEY)`;
      const rows = async () =>
        (await db.eventStore<{ n: number }[]>`SELECT n FROM t ORDER BY n`).map((r) => r.n);
      await body(t, db, rows);
    } finally {
      await db.drop();
    }
  });
}

tableTest("a pipelined transaction commits all or nothing, with savepoints inside", async (
  t,
  db,
  rows,
) => {
  const sql = db.eventStore;
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
});

tableTest("a one-round-trip transaction: its statements and COMMIT go out together", async (
  t,
  db,
  rows,
) => {
  const sql = db.eventStore;
  const insert = async (tx: TxSql, n: number) => void await tx`INSERT INTO t VALUES (${n})`;

  await t.step("statements run in the order made, even one awaited in a helper", async () => {
    // `await` inside the helper would send its INSERT a turn late, after the UPDATE.
    const { committed, settled } = await transactionAtOnce(sql, (tx) => [
      insert(tx, 1),
      tx`UPDATE t SET n = 2 WHERE n = 1`,
    ]);
    assert.equal(committed, true);
    assert.deepEqual(settled.map((s) => s.status), ["fulfilled", "fulfilled"]);
    assert.deepEqual(await rows(), [2]);
    // And inside the transaction: a refusal after it undoes the helper's INSERT.
    const undone = await transactionAtOnce(sql, (tx) => [
      insert(tx, 9),
      tx`SELECT es_refuse('undo')`,
    ]);
    assert.equal(undone.committed, false);
    assert.deepEqual(await rows(), [2]);
  });

  await t.step("COMMIT leaves before the first answer comes back", async () => {
    const { sql: watched, sent } = watchedPool(db.eventStoreUrl);
    const holder = await sql.reserve();
    let running: Promise<unknown> = Promise.resolve();
    try {
      await holder`SELECT pg_advisory_lock(42)`;
      const done = transactionAtOnce(watched, (tx) => [
        tx`SELECT pg_advisory_xact_lock(42)`,
        tx`INSERT INTO t VALUES (3)`,
      ]);
      running = done;
      // The first statement waits for the lock, so no answer can have come back yet.
      await waitForAdvisoryWait(sql);
      assert.deepEqual(queries(sent.slice(-4)), [
        "BEGIN",
        "SELECT pg_advisory_xact_lock(42)",
        "INSERT INTO t VALUES (3)",
        "COMMIT",
      ]);
      await holder`SELECT pg_advisory_unlock(42)`;
      assert.equal((await done).committed, true);
      assert.deepEqual(await rows(), [2, 3]);
    } finally {
      await holder`SELECT pg_advisory_unlock_all()`;
      holder.release();
      await running.catch(() => {});
      await watched.end();
    }
  });

  await t.step("a failed statement rolls all back, and the ones after it fail too", async () => {
    const { committed, settled } = await transactionAtOnce(sql, (tx) => [
      insert(tx, 4),
      tx`SELECT es_refuse('refused on purpose', 'the subject')`,
      insert(tx, 5),
    ]);
    assert.equal(committed, false);
    assert.deepEqual(settled.map((s) => s.status), ["fulfilled", "rejected", "rejected"]);
    const refused = (settled[1] as PromiseRejectedResult).reason;
    assert.deepEqual(refusalOf(refused), {
      reason: "refused on purpose",
      subject: "the subject",
    });
    assert.match(String((settled[2] as PromiseRejectedResult).reason), /transaction is aborted/);
    assert.deepEqual(await rows(), [2, 3]);
  });

  await t.step("a statement made after the COMMIT is refused, not run outside it", async () => {
    const { committed, settled } = await transactionAtOnce(sql, (tx) => [
      (async () => {
        await tx`SELECT 1`;
        await tx`INSERT INTO t VALUES (6)`; // made once the first answer is in: too late
      })(),
    ]);
    assert.equal(committed, true);
    assert.match(
      String((settled[0] as PromiseRejectedResult).reason),
      /started after its COMMIT/,
    );
    assert.deepEqual(await rows(), [2, 3]);
  });

  await t.step("send() that throws: its error, nothing written, no failure unheard", async () => {
    await assert.rejects(
      transactionAtOnce(sql, (tx) => {
        tx`INSERT INTO t VALUES (7)`;
        tx`SELECT 1 / 0`; // fails in the server, after the throw below: no one awaits it
        throw new Error("thrown while sending");
      }),
      /thrown while sending/,
    );
    assert.deepEqual(await rows(), [2, 3]);
  });
});

tableTest("a COMMIT the server refuses rolls back, and says so", async (t, db, rows) => {
  const sql = db.eventStore;
  // A deferred check, run at COMMIT, that refuses the row 13.
  await sql.unsafe(`
    CREATE FUNCTION no_13() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.n = 13 THEN RAISE EXCEPTION 'no 13 at commit'; END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER no_13 AFTER INSERT ON t
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION no_13();`);

  await t.step(
    "pipelined: CommitRefusedError with the server's error, nothing written",
    async () => {
      await assert.rejects(
        pipelinedTransaction(sql, async (tx) => {
          await tx`INSERT INTO t VALUES (12)`;
          await tx`INSERT INTO t VALUES (13)`;
        }),
        (err: unknown) => {
          assert.ok(err instanceof CommitRefusedError, String(err));
          assert.match(String((err.cause as Error).message), /no 13 at commit/);
          assert.equal(err.code, "P0001", "the server's SQLSTATE, for retries by code");
          assert.ok(!isConnectionFailure(err));
          return true;
        },
      );
      assert.deepEqual(await rows(), []);
    },
  );

  await t.step("one round trip: not committed, nothing written", async () => {
    const result = await transactionAtOnce(sql, (tx) => [
      tx`INSERT INTO t VALUES (12)`,
      tx`INSERT INTO t VALUES (13)`,
    ]);
    assert.equal(result.committed, false);
    assert.deepEqual(await rows(), []);
    const done = await transactionAtOnce(sql, (tx) => [tx`INSERT INTO t VALUES (12)`]);
    assert.equal(done.committed, true);
    assert.deepEqual(await rows(), [12]);
  });
});

tableTest("a transaction whose connection is lost fails at once, and its pool goes on", async (
  t,
  db,
  rows,
) => {
  // One connection, so that a pool left broken by the lost one would show at the next query.
  const sql = openPostgres(db.eventStoreUrl, { max: 1 });
  const lostMidway = async (run: (started: () => void) => Promise<unknown>) => {
    const [backend] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    let started = () => {};
    const running = new Promise<void>((resolve) => started = resolve);
    const transaction = run(started);
    await running;
    await waitForBusy(db, backend!.pid);
    await db.eventStore`SELECT pg_terminate_backend(${backend!.pid})`;
    await assert.rejects(transaction, (err) => isConnectionFailure(err));
    // The pool opens a new connection for what comes next (its first query may still hear
    // of the lost one).
    let answer: unknown;
    for (let i = 0; i < 3 && answer === undefined; i++) {
      answer = await sql<{ one: number }[]>`SELECT 1 AS one`.then(
        (rows) => rows[0]?.one,
        (err) => assert.ok(isConnectionFailure(err), String(err)),
      );
    }
    assert.equal(answer, 1);
  };
  try {
    await t.step("pipelined: a statement in flight", async () => {
      await lostMidway((started) =>
        pipelinedTransaction(sql, async (tx) => {
          await tx`INSERT INTO t VALUES (1)`;
          started();
          await tx`SELECT pg_sleep(10)`;
        })
      );
    });
    await t.step("one round trip: a statement in flight", async () => {
      await lostMidway((started) =>
        transactionAtOnce(sql, (tx) => {
          started();
          return [tx`INSERT INTO t VALUES (2)`, tx`SELECT pg_sleep(10)`];
        }).then(({ settled }) => {
          const failed = settled.find((s) => s.status === "rejected");
          if (failed) throw (failed as PromiseRejectedResult).reason;
        })
      );
    });
    await t.step("an error of another connection is not this one's loss", async () => {
      // A handler that calls another database and fails: this transaction rolls back and
      // its connection goes back to the pool (of one), which answers at once.
      await assert.rejects(
        pipelinedTransaction(sql, async (tx) => {
          await tx`INSERT INTO t VALUES (3)`;
          throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        }),
        /ECONNREFUSED/,
      );
      const next = sql<{ one: number }[]>`SELECT 1 AS one`.then((r) => r[0]?.one);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise((resolve) => timer = setTimeout(resolve, 2000, "no answer in 2 s"));
      assert.equal(await Promise.race([next, late]).finally(() => clearTimeout(timer)), 1);
    });
    assert.deepEqual(await rows(), []);
  } finally {
    await sql.end({ timeout: 1 });
  }
});

/** Waits until the backend `pid` runs a statement (the transaction's sleep). */
async function waitForBusy(db: TestDatabases, pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [row] = await db.eventStore<{ query: string }[]>`
      SELECT query FROM pg_stat_activity WHERE pid = ${pid} AND state = 'active'`;
    if (row?.query.includes("pg_sleep")) return;
    assert.ok(Date.now() < deadline, "the transaction never reached its sleep");
    await new Promise((r) => setTimeout(r, 10));
  }
}
