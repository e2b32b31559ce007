import assert from "node:assert/strict";
import { connect } from "@shared/db/connect.ts";
import { isConnectionFailure } from "@shared/db/errors.ts";
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
  let held!: () => void;
  const locked = new Promise<void>((resolve) => held = resolve);
  let release!: () => void;
  const never = new Promise<void>((resolve) => release = resolve);
  try {
    // As the group commit's transaction: the stream's advisory lock, then nothing more is sent.
    const transaction = pipelinedTransaction(stopped, async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${key})`;
      held();
      await never;
      await tx`SELECT 1`;
    });
    transaction.catch(() => {});
    await locked;
    const asked = Date.now();
    const limit = IDLE_IN_TRANSACTION_MS + 3000;
    await other.begin(async (tx) => {
      await tx`SELECT set_config('lock_timeout', ${`${limit}ms`}, true)`;
      await tx`SELECT pg_advisory_xact_lock(${key})`;
    }).catch((err) => assert.fail(`the lock was still held after ${limit} ms: ${err}`));
    const waited = Date.now() - asked;
    assert.ok(waited >= IDLE_IN_TRANSACTION_MS - 200, `the lock was free after ${waited} ms`);
    // The process that wakes up finds its transaction gone, not committed.
    release();
    await assert.rejects(
      transaction,
      (err) => isConnectionFailure(err) || /idle/i.test(String(err)),
    );
  } finally {
    release();
    await Promise.all([stopped.end({ timeout: 1 }), other.end({ timeout: 1 })]);
  }
});
