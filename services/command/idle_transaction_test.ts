import assert from "node:assert/strict";
import { connect } from "@shared/db/connect.ts";
import { pipelinedTransaction } from "@shared/db/transaction.ts";
import { testServerUrl } from "@shared/testing/db.ts";
import { eventStorePool, IDLE_IN_TRANSACTION_MS } from "./app.ts";

/**
 * A command replica that stops in the middle of a transaction (frozen, its
 * event loop blocked) holds its streams' locks. The same commands, retried
 * on another replica with the same command ids, wait for those locks: they
 * must get them soon, not after the stopped process wakes up.
 */
Deno.test("a transaction the command service leaves half sent is ended by the server, and its stream's lock freed", async () => {
  const stopped = eventStorePool(testServerUrl(), 1, "command-service-test");
  const other = connect(testServerUrl(), { max: 1 });
  const key = Math.floor(Math.random() * 2 ** 31);
  let held!: (pid: number) => void;
  const locked = new Promise<number>((resolve) => held = resolve);
  try {
    // As the group commit's transaction: the stream's advisory lock, then the process stops
    // and sends nothing more. (Nothing is sent after the server ends the session either:
    // postgres.js can throw where no caller catches it when a closed reserved connection is
    // written to, see shared/db/transaction.ts.)
    const transaction = pipelinedTransaction(stopped, async (tx) => {
      const [row] = await tx<{ pid: number }[]>`
        SELECT pg_backend_pid() AS pid, pg_advisory_xact_lock(${key})::text AS locked`;
      held(row!.pid);
      await new Promise(() => {});
    });
    transaction.catch(() => {});
    const pid = await locked;
    const asked = Date.now();
    const limit = IDLE_IN_TRANSACTION_MS + 3000;
    await other.begin(async (tx) => {
      await tx`SELECT set_config('lock_timeout', ${`${limit}ms`}, true)`;
      await tx`SELECT pg_advisory_xact_lock(${key})`;
    }).catch((err) => assert.fail(`the lock was still held after ${limit} ms: ${err}`));
    const waited = Date.now() - asked;
    assert.ok(waited >= IDLE_IN_TRANSACTION_MS - 200, `the lock was free after ${waited} ms`);
    // Rolled back with its session: the process that wakes up finds it gone, not committed.
    const [found] = await other<{ sessions: number }[]>`
      SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE pid = ${pid}`;
    assert.equal(found?.sessions, 0, "the server ended the stopped session");
  } finally {
    await Promise.all([stopped.end({ timeout: 1 }), other.end({ timeout: 1 })]);
  }
});
