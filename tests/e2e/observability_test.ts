/**
 * Observability through the real code paths. A mutation sent to the gateway
 * over HTTP is one trace: the gateway's HTTP span, the gRPC call, the command
 * service's server span, then, through the traceparent stored in the event's
 * metadata, the projector's and the saga's spans, step after step. And every
 * service's /metrics shows what a mutation and its saga moved.
 * `SHOW_TRACE=1` prints the traces and a /metrics excerpt of each service.
 */
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import { createLogger } from "@shared/log/mod.ts";
import { installTestTracing, sampleValue } from "@shared/testing/observability.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startSagaWorker } from "../../services/saga/app.ts";
import { startStack } from "@shared/testing/e2e/stack.ts";
import {
  ancestorsOf,
  byKind,
  idOf,
  parentOf,
  traceOfRequest,
  waitFor,
} from "@shared/testing/e2e/observability_spans.ts";
import {
  excerpt,
  expectSamples,
  orderOf,
  placeOrder,
  scrape,
  stockedProduct,
} from "@shared/testing/e2e/observability_system.ts";

const COMMANDS = "cqrs.command.v1.CategoryCommands";
const show = Boolean(Deno.env.get("SHOW_TRACE"));

Deno.test("a createCategory mutation is one trace from the gateway to the projector", async () => {
  await using tracing = installTestTracing("cqrs");
  const stack = await startStack();
  try {
    const gateway = await stack.gateway();
    const base = `http://127.0.0.1:${gateway.port}`;
    tracing.reset(); // start-up work (health checks, first polls) is not the mutation's
    const created = await gql<{ createCategory: { id: string; name: string } }>(
      base,
      `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id name } }`,
      { input: { name: "Traced" } },
      await bearer("clerk", ["staff"]),
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const categoryId = created.data!.createCategory.id;

    const { http, spans, tree } = await traceOfRequest(tracing, "project categories");
    if (show) console.log(`\n${tree}\n`);
    const one = byKind(spans, tree);

    const client = one(`${COMMANDS}/CreateCategory`, SpanKind.CLIENT);
    const server = one(`${COMMANDS}/CreateCategory`, SpanKind.SERVER);
    const projector = one("project categories", SpanKind.CONSUMER);
    assert.equal(parentOf(http), undefined, `the HTTP span is the root:\n${tree}`);
    assert.equal(parentOf(client), idOf(http), `the gRPC call is the request's:\n${tree}`);
    assert.equal(parentOf(server), idOf(client), `the server continues the call:\n${tree}`);
    assert.equal(server.parentSpanContext?.isRemote, true, "from gRPC metadata");
    assert.equal(server.attributes["rpc.grpc.status_code"], 0);
    assert.equal(
      parentOf(projector),
      idOf(server),
      `the projector continues the event's stored traceparent (the server span):\n${tree}`,
    );
    assert.equal(projector.parentSpanContext?.isRemote, true, "from the event's metadata");
    assert.equal(projector.attributes["event.type"], "CategoryCreated");

    // The mutation answers from the command's result: it calls no query in its trace.
    const reads = spans.filter((s) => s.name.startsWith("cqrs.query.")).map((s) => s.name);
    assert.deepEqual(reads, [], `no read in the mutation's trace:\n${tree}`);

    // The trace id the store kept is the one the operator searches for.
    const [row] = await stack.db.eventStore<{ traceparent: string }[]>`
      SELECT event_metadata->>'traceparent' AS traceparent FROM events
      WHERE aggregate_id = ${categoryId}`;
    assert.equal(row?.traceparent, `00-${http.spanContext().traceId}-${idOf(server)}-01`);
    assert.equal(http.attributes["http.response.status_code"], 200);
  } finally {
    await stack.stop();
  }
});

Deno.test("an order's saga continues the createOrder trace, step after step", async () => {
  await using tracing = installTestTracing("cqrs");
  const stack = await startStack();
  const saga = await startSagaWorker({
    eventStoreUrl: stack.db.eventStoreUrl,
    commandAddress: stack.commandAddress,
    logger: createLogger("saga", {}),
    pollMs: 100,
    timerMs: 100,
  });
  try {
    const gateway = await stack.gateway();
    const base = `http://127.0.0.1:${gateway.port}`;
    const { productId } = await stockedProduct(base);
    tracing.reset();
    await orderOf(base, productId);

    const { spans, tree } = await traceOfRequest(tracing, "saga OrderStatusChanged");
    if (show) console.log(`\n${tree}\n`);
    const one = byKind(spans, tree);
    const server = one("cqrs.command.v1.OrderCommands/CreateOrder", SpanKind.SERVER);
    const started = one("saga OrderCreated", SpanKind.CONSUMER);
    assert.equal(parentOf(started), idOf(server), `the saga continues the order's trace:\n${tree}`);
    assert.equal(started.parentSpanContext?.isRemote, true, "from the event's metadata");
    // Each step's event carries the span of the saga step that caused it.
    for (const event of ["InventoryReserved", "PaymentProcessed", "ShippingArranged"]) {
      const step = one(`saga ${event}`, SpanKind.CONSUMER);
      assert.ok(ancestorsOf(step, spans).includes(idOf(started)), `${event} under it:\n${tree}`);
    }
  } finally {
    await saga.stop();
    await stack.stop();
  }
});

Deno.test("every service's /metrics shows what a mutation and its saga moved", async () => {
  const system = await startTestSystem({
    LOG_LEVEL: "warn",
    PROJECTOR_POLL_MS: "100",
    SAGA_POLL_MS: "100",
    SAGA_TIMER_MS: "100",
  });
  const { ports } = system;
  const local = (port: number) => `http://127.0.0.1:${port}`;
  try {
    const { categoryId } = await placeOrder(system.gatewayUrl);
    const saga = await waitFor(async () => {
      const text = await scrape(local(ports.saga));
      return sampleValue(text, "saga_completed_total", { saga: "order" }) === 1 ? text : undefined;
    }, "the order's saga to complete");
    // Plain reads (no consistency token) go through the gateway's caches: each new request
    // misses the response cache and reads through the query results cache (a miss, then
    // hits); a request sent again is a response cache hit.
    let round = 0;
    const gatewayText = await waitFor(async () => {
      const read = `query($id: ID!) { c${round++}: category(id: $id) { id } }`;
      await gql(system.gatewayUrl, read, { id: categoryId });
      await gql(system.gatewayUrl, read, { id: categoryId });
      const text = await scrape(system.gatewayUrl);
      return (sampleValue(text, "cache_hits_total", { cache: "category" }) ?? 0) > 0 &&
          (sampleValue(text, "cache_hits_total", { cache: "response" }) ?? 0) > 0
        ? text
        : undefined;
    }, "a cache hit");
    const command = await scrape(local(ports.commandMetrics));
    const query = await scrape(local(ports.queryMetrics));
    const projector = await scrape(local(ports.projector));
    const scrapes = { gateway: gatewayText, command, query, projector, saga };
    if (show) {
      for (const [service, text] of Object.entries(scrapes)) {
        console.log(`# ${service}\n${excerpt(text, shown)}\n`);
      }
    }

    const createCategory = {
      service: "cqrs.command.v1.CategoryCommands",
      method: "CreateCategory",
      code: "OK",
    };
    // The category reads above (mutations answer without reading).
    const readBack = { service: "cqrs.query.v1.CategoryQueries", method: "GetCategory" };
    const expect = expectSamples(scrapes);
    for (const type of ["CreateCategory", "CreateProduct", "SetStock", "CreateOrder"]) {
      expect("command", "command_dispatched_total", { command: type, outcome: "ok" }, 1);
    }
    expect("command", "command_processing_duration_seconds_count", { command: "CreateOrder" }, 1);
    expect("command", "event_published_total", { event_type: "CategoryCreated" }, 1);
    expect("command", "event_published_total", { event_type: "OrderCreated" }, 1);
    expect("command", "grpc_server_handled_total", createCategory, 1);
    expect("gateway", "grpc_client_handled_total", createCategory, 1);
    expect("gateway", "grpc_client_handled_total", { ...readBack, code: "OK" }, "moved");
    expect("query", "grpc_server_handled_total", { ...readBack, code: "OK" }, "moved");
    expect("query", "query_duration_seconds_count", { query: "GetCategory" }, "moved");
    expect("gateway", "http_server_request_duration_seconds_count", {
      method: "POST",
      route: "/graphql",
      status: "200",
    }, "moved");
    expect("gateway", "cache_misses_total", { cache: "category" }, "moved");
    expect("gateway", "cache_hits_total", { cache: "category" }, "moved");
    expect("gateway", "cache_misses_total", { cache: "response" }, "moved");
    expect("gateway", "cache_hits_total", { cache: "response" }, "moved");
    expect("gateway", "circuit_breaker_state", { service: "command" }, 0);
    for (const projection of ["categories", "products", "orders", "statistics"]) {
      expect("projector", "projection_lag_events", { projection }, "present");
      expect("projector", "projection_lag_seconds", { projection }, "present");
      expect("projector", "projection_dead_letters", { projection }, 0);
    }
    expect("saga", "saga_started_total", { saga: "order" }, 1);
    expect("saga", "saga_step_duration_seconds_count", { step: "reserve_inventory" }, 1);
    // The saga's steps are calls to the command service, which runs and counts them.
    const payStep = {
      service: "cqrs.command.v1.SagaStepCommands",
      method: "ProcessPayment",
      code: "OK",
    };
    expect("saga", "grpc_client_handled_total", payStep, 1);
    expect("command", "grpc_server_handled_total", payStep, 1);
    expect("command", "command_dispatched_total", { command: "ProcessPayment", outcome: "ok" }, 1);
    expect("command", "event_published_total", { event_type: "OrderStatusChanged" }, 1);
    expect("command", "db_pool_connections", { pool: "event_store", state: "max" }, "moved");
    expect("query", "db_pool_connections", { pool: "read_model", state: "max" }, "moved");
    expect("projector", "db_pool_connections", { pool: "event_store", state: "max" }, "moved");
    for (const service of Object.keys(scrapes) as (keyof typeof scrapes)[]) {
      expect(service, "process_resident_memory_bytes", {}, "moved");
      expect(service, "event_loop_lag_seconds", {}, "present");
    }
  } finally {
    await system.close();
  }
});

/** The metrics a SHOW_TRACE=1 run prints from each scrape. */
const shown = [
  "command_dispatched_total",
  "event_published_total",
  "grpc_server_handled_total",
  "grpc_client_handled_total",
  "query_duration_seconds_count",
  "projection_lag",
  "projection_dead_letters",
  "saga_",
  "cache_",
  "circuit_breaker_state",
  "db_pool_connections",
  "process_resident_memory_bytes",
  "event_loop_lag_seconds",
];
