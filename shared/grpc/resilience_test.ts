import assert from "node:assert/strict";
import { UnavailableError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { freePort } from "@shared/db/embedded.ts";
import { watchHealth } from "./health_watch.ts";
import { closeOnRecovery, createServicePolicy } from "./resilience.ts";
import { startGrpcServer } from "./server.ts";

const outage = () =>
  Promise.reject(
    new UnavailableError('Service "query" is unavailable', { grpcCode: "DEADLINE_EXCEEDED" }),
  );

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), what);
}

Deno.test("a read model that has not caught up is an answer: it never opens the circuit", async () => {
  const policy = createServicePolicy("query", { failureThreshold: 2, retries: 0 });
  const notCaughtUp = new UnavailableError("The read model has not caught up", {
    projections: ["orders"],
    consistencyToken: "9:9",
  });
  for (let i = 0; i < 10; i++) {
    await assert.rejects(policy.execute(() => Promise.reject(notCaughtUp), true), /caught up/);
  }
  assert.equal(policy.state, "closed");
  await assert.rejects(policy.execute(outage, false));
  await assert.rejects(policy.execute(outage, false));
  assert.equal(policy.state, "open");
});

Deno.test("an open circuit closes as soon as the service's health watch reports SERVING again", async () => {
  const logger = createLogger("test", {});
  const port = freePort();
  const address = `127.0.0.1:${port}`;
  // A half-open delay far longer than the test: only the health watch can close the circuit.
  const policy = createServicePolicy("query", { failureThreshold: 2, halfOpenAfterMs: 600_000 });
  let server = await startGrpcServer([], { port, host: "127.0.0.1", logger });
  const health = watchHealth(address);
  const stopFollowing = closeOnRecovery(policy, health);
  try {
    await until(() => health.status === "SERVING", "the watch saw the service serving");
    await server.shutdown(0);
    await until(() => health.status !== "SERVING", "the watch saw the service go away");
    await assert.rejects(policy.execute(outage, false));
    await assert.rejects(policy.execute(outage, false));
    assert.equal(policy.state, "open");

    server = await startGrpcServer([], { port, host: "127.0.0.1", logger });
    await until(() => policy.state === "closed", "the circuit closed once the service was back");
    assert.equal(await policy.execute(() => Promise.resolve("answer"), false), "answer");

    // Calls on channels still reconnecting fail just after the recovery: the circuit
    // they open closes again shortly.
    await assert.rejects(policy.execute(outage, false));
    await assert.rejects(policy.execute(outage, false));
    assert.equal(policy.state, "open");
    await until(() => policy.state === "closed", "the circuit closed again");
  } finally {
    stopFollowing();
    health.stop();
    await server.shutdown(0);
  }
});

Deno.test("a circuit opened while the service still reports SERVING waits for its half-open trial", async () => {
  const logger = createLogger("test", {});
  const port = freePort();
  const policy = createServicePolicy("query", { failureThreshold: 2, halfOpenAfterMs: 600_000 });
  const server = await startGrpcServer([], { port, host: "127.0.0.1", logger });
  const health = watchHealth(`127.0.0.1:${port}`);
  const stopFollowing = closeOnRecovery(policy, health);
  try {
    await until(() => health.status === "SERVING", "the watch saw the service serving");
    await assert.rejects(policy.execute(outage, false));
    await assert.rejects(policy.execute(outage, false));
    // A service that answers its health checks but times out its calls keeps its circuit open.
    server.health.setStatus("", "SERVING");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(policy.state, "open");
  } finally {
    stopFollowing();
    health.stop();
    await server.shutdown(0);
  }
});
