import assert from "node:assert/strict";
import { serveHealth } from "./http.ts";

Deno.test("a worker's /livez answers 200 while its /health fails: a database outage restarts nothing", async () => {
  const server = serveHealth({
    port: 0,
    hostname: "127.0.0.1",
    check: () => Promise.reject(new Error("the read model cannot be reached")),
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).status, "error");
    const live = await fetch(`${base}/livez`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "alive" });
    const other = await fetch(`${base}/elsewhere`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
  } finally {
    await server.stop();
  }
});
