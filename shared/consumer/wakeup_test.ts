import assert from "node:assert/strict";
import { databaseName } from "@shared/db/connect.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { startWakeup } from "./wakeup.ts";

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("startWakeup() listens again by itself after its connection is lost, even when the first attempts fail", async () => {
  const db = await createTestDatabases();
  const name = databaseName(db.eventStoreUrl);
  const wakeup = startWakeup(db.eventStoreUrl, {
    applicationName: "projector-wakeup",
    retryMs: 20,
    maxRetryMs: 100,
    pingMs: 200,
  });
  let wakes = 0;
  wakeup.onWake(() => wakes++);
  const kill = () =>
    db.readModel`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${name} AND application_name = 'projector-wakeup'`;
  try {
    await until(() => wakeup.listening, "it listens");
    const first = wakes;
    await db.eventStore`SELECT pg_notify('events', '')`;
    await until(() => wakes > first, "a notification wakes it");

    // The server refuses new connections for a while: postgres.js would give up here.
    await db.readModel.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await kill();
    await until(() => !wakeup.listening, "it notices the loss");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(wakeup.listening, false);
    await db.readModel.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    await until(() => wakeup.listening, "it listens again");
    assert.equal(wakeup.connections, 2);

    const before = wakes;
    await db.eventStore`SELECT pg_notify('events', '')`;
    await until(() => wakes > before, "a notification after the reconnection wakes it");
  } finally {
    await db.readModel.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    await wakeup.stop();
    await db.drop();
  }
});
