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

/** A policy that opens after two failed calls and retries each twice, at once. */
const retryingPolicy = () =>
  createServicePolicy("command", {
    failureThreshold: 2,
    retries: 2,
    initialBackoffMs: 1,
    maxBackoffMs: 1,
  });

Deno.test("a call lost with a replica and answered on a retry counts nothing toward the circuit", async () => {
  const policy = retryingPolicy();
  // Connection refused, and a connection that broke under the call (a killed replica).
  const lost = [
    new UnavailableError("refused", { grpcCode: "UNAVAILABLE" }),
    new UnavailableError("reset", { grpcCode: "INTERNAL" }),
  ];
  for (let call = 0; call < 5; call++) {
    let attempts = 0;
    const answer = await policy.execute(() => {
      const failure = lost[attempts++];
      return failure ? Promise.reject(failure) : Promise.resolve("answer");
    }, true);
    assert.equal(answer, "answer");
    assert.equal(attempts, 3);
  }
  assert.equal(policy.state, "closed");

  // A call that is not safe to repeat gets one attempt; two such failures open the circuit.
  let attempts = 0;
  const once = () => (attempts++, Promise.reject(lost[1]));
  await assert.rejects(policy.execute(once, false), /reset/);
  await assert.rejects(policy.execute(once, false), /reset/);
  assert.equal(attempts, 2);
  assert.equal(policy.state, "open");
});

Deno.test("a call that fails on every attempt counts once toward the circuit", async () => {
  const policy = retryingPolicy();
  let attempts = 0;
  const down =
    () => (attempts++,
      Promise.reject(new UnavailableError("refused", { grpcCode: "UNAVAILABLE" })));
  await assert.rejects(policy.execute(down, true), /refused/);
  assert.equal(attempts, 3);
  assert.equal(policy.state, "closed", "three failed attempts of one call are one failure");
  await assert.rejects(policy.execute(down, true), /refused/);
  assert.equal(policy.state, "open");
  await assert.rejects(policy.execute(down, true), /circuit is open/);
  assert.equal(attempts, 6, "an open circuit refuses before any attempt");
});
