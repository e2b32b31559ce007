import assert from "node:assert/strict";
import { createLogger } from "@shared/log/mod.ts";
import { freePort } from "@shared/db/embedded.ts";
import { checkHealth } from "./client.ts";
import { watchHealth } from "./health_watch.ts";
import { startGrpcServer } from "./server.ts";

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), what);
}

Deno.test("a service with a list of replicas is SERVING while one of them serves", async () => {
  const logger = createLogger("test", {});
  const [a, b] = [freePort(), freePort()];
  const address = `127.0.0.1:${a},127.0.0.1:${b}`;
  const first = await startGrpcServer([], { port: a, host: "127.0.0.1", logger });
  let second = await startGrpcServer([], { port: b, host: "127.0.0.1", logger });
  const health = watchHealth(address);
  try {
    await until(() => health.status === "SERVING", "the watch saw the service serving");
    assert.equal(await checkHealth(address), "SERVING");

    await first.shutdown(0);
    assert.equal(await checkHealth(address), "SERVING", "one replica left");
    assert.equal(await checkHealth(`127.0.0.1:${a}`), "UNREACHABLE");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(health.status, "SERVING", "the watch still sees one replica serving");

    await second.shutdown(0);
    await until(() => health.status === "UNREACHABLE", "the watch saw every replica go");
    assert.equal(await checkHealth(address), "UNREACHABLE");

    second = await startGrpcServer([], { port: b, host: "127.0.0.1", logger });
    await until(() => health.status === "SERVING", "the watch saw a replica come back");
    await second.shutdown(0);
  } finally {
    health.stop();
  }
});
