import assert from "node:assert/strict";
import { UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import {
  ConsistencyWaiter,
  parseConsistencyToken,
  reached,
  waitForProjections,
} from "./consistency.ts";

Deno.test("parseConsistencyToken() reads <transaction>:<position> and names the header otherwise", () => {
  assert.deepEqual(parseConsistencyToken(" 12:34 "), { transactionId: "12", id: "34" });
  for (const bad of ["", "12", "12:", "a:1", "1:2:3", "-1:2"]) {
    assert.throws(
      () => parseConsistencyToken(bad),
      (err) => err instanceof ValidationError && err.issues[0]?.field === "X-Consistency-Token",
    );
  }
});

Deno.test("reached() orders positions by transaction, then id", () => {
  assert.equal(reached({ transactionId: "10", id: "1" }, { transactionId: "9", id: "99" }), true);
  assert.equal(reached({ transactionId: "10", id: "5" }, { transactionId: "10", id: "5" }), true);
  assert.equal(reached({ transactionId: "10", id: "4" }, { transactionId: "10", id: "5" }), false);
});

Deno.test("waiting for projections", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  const at = (id: string) => ({ transactionId: "100", id });
  const advance = (projection: string, id: string) =>
    sql.begin((tx) => writeCheckpoint(tx, projection, at(id)));
  try {
    await advance("a", "5");
    await advance("b", "3");

    await t.step("waitForProjections() returns once every projection is there", async () => {
      await waitForProjections(sql, ["a"], at("5"), { timeoutMs: 1000 });
      const waiting = waitForProjections(sql, ["a", "b"], at("4"), { timeoutMs: 5000 });
      await advance("b", "4");
      await waiting;
    });

    await t.step(
      "waitForProjections() names the projections behind after the timeout",
      async () => {
        await assert.rejects(
          () => waitForProjections(sql, ["a", "b", "c"], at("5"), { timeoutMs: 50 }),
          (err) => err instanceof UnavailableError && /b, c behind/.test(err.message),
        );
      },
    );

    await t.step("a ConsistencyWaiter serves many waits with one poller", async () => {
      const waiter = new ConsistencyWaiter(sql, { pollMs: 5 });
      try {
        const waits = [6, 7, 8].map((n) => waiter.wait(["a"], at(String(n)), { timeoutMs: 5000 }));
        await advance("a", "8");
        await Promise.all(waits);
        await waiter.wait(["a"], at("8"), { timeoutMs: 0 });
        await assert.rejects(
          () => waiter.wait(["a"], at("9"), { timeoutMs: 30 }),
          UnavailableError,
        );
      } finally {
        await waiter.close();
      }
    });

    await t.step(
      "align() waits until every projection read has the newest checkpoint among them",
      async () => {
        const waiter = new ConsistencyWaiter(sql, { pollMs: 5 });
        try {
          await advance("c", "20");
          await advance("d", "12");
          let done = false;
          const aligning = waiter.align(["c", "d"], { timeoutMs: 5000 }).then(() => done = true);
          await advance("d", "19");
          await new Promise((r) => setTimeout(r, 30));
          assert.equal(done, false, "d is still behind c");
          await advance("d", "20");
          await aligning;
          await assert.rejects(
            () => waiter.align(["c", "e"], { timeoutMs: 30 }),
            (err) => err instanceof UnavailableError && /e behind/.test(err.message),
          );
        } finally {
          await waiter.close();
        }
      },
    );

    await t.step("a closed ConsistencyWaiter ends the waits in progress", async () => {
      const waiter = new ConsistencyWaiter(sql);
      const waiting = waiter.wait(["a"], at("99"), { timeoutMs: 5000 });
      const outcome = waiting.then(() => "resolved", (e) => e);
      await new Promise((r) => setTimeout(r, 20));
      await waiter.close();
      assert.ok((await outcome) instanceof UnavailableError);
    });
  } finally {
    await db.drop();
  }
});
