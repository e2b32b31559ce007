import assert from "node:assert/strict";
import { connect, reconnectDelayS } from "./connect.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

Deno.test("a pool waits at most a second between reconnection attempts, however many failed", () => {
  for (let failures = 0; failures <= 30; failures++) {
    const delay = reconnectDelayS(failures);
    assert.ok(delay > 0 && delay <= 1, `${failures} failures: ${delay} s`);
  }
});

/** Whether `SELECT 1` answers within a second. */
async function answers(sql: ReturnType<typeof connect>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      sql`SELECT 1`.then(() => true, () => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 1000)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a pool that kept failing through a database restart answers soon after the server is back", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-connect-test-" });
  let server = await startEmbeddedPostgres({ dataDir });
  const sql = connect(server.url, { max: 10 });
  let busy = true;
  // A service's steady work: each query that fails while the server is down lengthens
  // the pool's wait before it connects again.
  const work = (async () => {
    while (busy) {
      await sql`SELECT 1`.catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 500));
    Deno.kill(server.pid!, "SIGKILL");
    await server.exited;
    await new Promise((r) => setTimeout(r, 2000));
    server = await startEmbeddedPostgres({ dataDir, port: server.port });
    const back = Date.now();
    while (!(await answers(sql))) {
      // postgres.js's own backoff reaches 20 s after a few failures (4.4 s seen here).
      assert.ok(Date.now() - back < 2500, "no answer within 2.5 s of the server's return");
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    busy = false;
    await work;
    await sql.end({ timeout: 1 });
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
