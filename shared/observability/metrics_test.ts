import assert from "node:assert/strict";
import { ConflictError, ValidationError } from "@shared/errors/mod.ts";
import {
  countCacheLookup,
  countEventsPublished,
  countSaga,
  observeCommand,
  observeQuery,
  recordSagaStep,
  setCircuitState,
  setProjectionDeadLetters,
  setProjectionLag,
  trackSubscription,
  watchCircuit,
} from "./app_metrics.ts";
import { metricsHandler, metricsText, startMetricsServer } from "./metrics.ts";
import { observeDbPool, startRuntimeMetrics } from "./runtime_metrics.ts";
import { sampleValue } from "@shared/testing/observability.ts";
import "./mod.ts";

const NAMES = [
  "command_dispatched_total",
  "command_processing_duration_seconds",
  "event_published_total",
  "query_duration_seconds",
  "grpc_server_handled_total",
  "grpc_server_handling_seconds",
  "grpc_client_handled_total",
  "grpc_client_handling_seconds",
  "http_server_request_duration_seconds",
  "projection_lag_events",
  "projection_lag_seconds",
  "projection_dead_letters",
  "saga_started_total",
  "saga_completed_total",
  "saga_failed_total",
  "saga_compensated_total",
  "saga_step_duration_seconds",
  "circuit_breaker_state",
  "cache_hits_total",
  "cache_misses_total",
  "gateway_subscriptions",
  "db_pool_connections",
  "process_resident_memory_bytes",
  "process_heap_used_bytes",
  "process_heap_total_bytes",
  "process_start_time_seconds",
  "event_loop_lag_seconds",
];

async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(await metricsText(), name, labels) ?? 0;
}

Deno.test("metricsHandler() exposes every metric of the issue in Prometheus text", async () => {
  const response = await metricsHandler();
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  for (const name of NAMES) assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  assert.ok((sampleValue(text, "process_resident_memory_bytes") ?? 0) > 0);
  assert.ok((sampleValue(text, "process_heap_used_bytes") ?? 0) > 0);
});

Deno.test("observeCommand() counts outcomes and times every command", async () => {
  const ok = { command: "CreateCategory", outcome: "ok" };
  const refused = { command: "CreateCategory", outcome: "validation" };
  const conflict = { command: "CreateCategory", outcome: "conflict" };
  const crashed = { command: "CreateCategory", outcome: "error" };
  const count = "command_processing_duration_seconds_count";
  const before = await Promise.all(
    [ok, refused, conflict, crashed].map((l) => sample("command_dispatched_total", l)),
  );
  const timedBefore = await sample(count, { command: "CreateCategory" });

  assert.equal(await observeCommand("CreateCategory", () => 7), 7);
  await assert.rejects(observeCommand("CreateCategory", () => {
    throw new ValidationError([{ field: "name", message: "is required" }]);
  }));
  await assert.rejects(
    observeCommand("CreateCategory", () => Promise.reject(new ConflictError("Taken"))),
  );
  await assert.rejects(observeCommand("CreateCategory", () => Promise.reject(new Error("bug"))));

  const after = await Promise.all(
    [ok, refused, conflict, crashed].map((l) => sample("command_dispatched_total", l)),
  );
  assert.deepEqual(after.map((v, i) => v - before[i]!), [1, 1, 1, 1]);
  assert.equal(await sample(count, { command: "CreateCategory" }) - timedBefore, 4);
});

Deno.test("event, query, projection, saga, circuit and cache metrics move when recorded", async () => {
  const events = await sample("event_published_total", { event_type: "CategoryCreated" });
  countEventsPublished(["CategoryCreated", "CategoryCreated", "CategoryRenamed"]);
  assert.equal(
    await sample("event_published_total", { event_type: "CategoryCreated" }) - events,
    2,
  );

  const queries = await sample("query_duration_seconds_count", { query: "categoryById" });
  assert.equal(await observeQuery("categoryById", () => Promise.resolve("x")), "x");
  assert.equal(
    await sample("query_duration_seconds_count", { query: "categoryById" }) - queries,
    1,
  );

  setProjectionLag("categories", { events: 12, seconds: 3.5 });
  setProjectionDeadLetters("categories", 2);
  assert.equal(await sample("projection_lag_events", { projection: "categories" }), 12);
  assert.equal(await sample("projection_lag_seconds", { projection: "categories" }), 3.5);
  assert.equal(await sample("projection_dead_letters", { projection: "categories" }), 2);

  const sagas = await Promise.all(
    ["started", "completed", "failed", "compensated"].map((t) =>
      sample(`saga_${t}_total`, { saga: "order" })
    ),
  );
  for (const t of ["started", "completed", "failed", "compensated"] as const) countSaga("order", t);
  const sagasAfter = await Promise.all(
    ["started", "completed", "failed", "compensated"].map((t) =>
      sample(`saga_${t}_total`, { saga: "order" })
    ),
  );
  assert.deepEqual(sagasAfter.map((v, i) => v - sagas[i]!), [1, 1, 1, 1]);
  recordSagaStep("reserve_inventory", 0.2);
  assert.ok(await sample("saga_step_duration_seconds_count", { step: "reserve_inventory" }) >= 1);

  setCircuitState("query", "open");
  assert.equal(await sample("circuit_breaker_state", { service: "query" }), 2);
  const listeners = new Set<(s: "closed" | "half_open" | "open") => void>();
  const unwatch = watchCircuit("command", {
    state: "closed",
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  assert.equal(await sample("circuit_breaker_state", { service: "command" }), 0);
  for (const l of listeners) l("half_open");
  assert.equal(await sample("circuit_breaker_state", { service: "command" }), 1);
  unwatch();
  assert.equal(listeners.size, 0);

  const hits = await sample("cache_hits_total", { cache: "category" });
  const misses = await sample("cache_misses_total", { cache: "category" });
  countCacheLookup("category", true);
  countCacheLookup("category", true);
  countCacheLookup("category", false);
  assert.equal(await sample("cache_hits_total", { cache: "category" }) - hits, 2);
  assert.equal(await sample("cache_misses_total", { cache: "category" }) - misses, 1);
});

Deno.test("observeDbPool() reports pool usage at each scrape until stopped", async () => {
  let active = 3;
  const stop = observeDbPool("event_store", () => ({ max: 10, active, idle: 10 - active }));
  const failing = observeDbPool("broken", () => Promise.reject(new Error("closed")));
  try {
    assert.equal(await sample("db_pool_connections", { pool: "event_store", state: "active" }), 3);
    active = 7;
    assert.equal(await sample("db_pool_connections", { pool: "event_store", state: "idle" }), 3);
    assert.equal(
      sampleValue(await metricsText(), "db_pool_connections", { pool: "broken" }),
      undefined,
    );
  } finally {
    stop();
    failing();
  }
  assert.equal(
    sampleValue(await metricsText(), "db_pool_connections", { pool: "event_store" }),
    undefined,
  );
});

Deno.test("startRuntimeMetrics() measures event-loop lag and stops cleanly", async () => {
  const runtime = startRuntimeMetrics({ intervalMs: 10 });
  try {
    const until = performance.now() + 60;
    while (performance.now() < until) { /* block the loop */ }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const lag = sampleValue(await metricsText(), "event_loop_lag_seconds");
    assert.ok(lag !== undefined && lag > 0.02, `lag ${lag}`);
  } finally {
    runtime.stop();
    runtime.stop();
  }
});

Deno.test("startMetricsServer() serves /metrics and nothing else", async () => {
  const server = startMetricsServer(0, { hostname: "127.0.0.1" });
  try {
    countEventsPublished(["ProductCreated"]);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(
      (sampleValue(text, "event_published_total", { event_type: "ProductCreated" }) ?? 0) >= 1,
    );
    const missing = await fetch(`http://127.0.0.1:${server.port}/other`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await server.stop();
  }
});

Deno.test("trackSubscription() counts a subscription open until it is closed, once", async () => {
  const before = await sample("gateway_subscriptions");
  const close = trackSubscription();
  const other = trackSubscription();
  assert.equal(await sample("gateway_subscriptions") - before, 2);
  close();
  close();
  assert.equal(await sample("gateway_subscriptions") - before, 1);
  other();
  assert.equal(await sample("gateway_subscriptions"), before);
});
