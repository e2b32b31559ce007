import assert from "node:assert/strict";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { observeCommand } from "./app_metrics.ts";
import { withEventSpans } from "./events.ts";
import { observeClientCall, observeServerCall } from "./grpc.ts";
import { observeHttpRequest } from "./http.ts";
import {
  formatSpanTree,
  installTestTracing,
  type ReadableSpan,
} from "@shared/testing/observability.ts";
import { injectTraceparent, withSpan } from "./tracing.ts";

const SERVICE = "cqrs.command.v1.CategoryCommands";

interface StoredEvent {
  type: string;
  eventId: string;
  metadata: { traceparent?: string; correlationId: string };
}

Deno.test("one mutation is one trace: gateway -> gRPC client -> server -> handler -> events -> projector and saga", async () => {
  await using tracing = installTestTracing();
  const store: StoredEvent[] = [];

  // The "command service", started outside any span: only the traceparent
  // header crosses the network, as gRPC metadata does.
  const commandService = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (request) =>
      observeServerCall(
        {
          service: SERVICE,
          method: "CreateCategory",
          traceparent: request.headers.get("traceparent") ?? undefined,
        },
        () =>
          observeCommand("CreateCategory", () =>
            withSpan("handle CreateCategory", { "category.name": "Shoes" }, async () => {
              await request.text();
              store.push({
                type: "CategoryCreated",
                eventId: crypto.randomUUID(),
                metadata: { traceparent: injectTraceparent(), correlationId: "c-1" },
              });
              return Response.json({ position: store.length });
            })),
      ),
  );

  try {
    // The "gateway": an HTTP request whose resolver calls the command service.
    const response = await observeHttpRequest(
      new Request("http://gateway.test/graphql", { method: "POST" }),
      () =>
        observeClientCall({ service: SERVICE, method: "CreateCategory" }, async (traceparent) => {
          const res = await fetch(`http://127.0.0.1:${commandService.addr.port}/`, {
            method: "POST",
            headers: traceparent ? { traceparent } : {},
            body: "{}",
          });
          return Response.json(await res.json());
        }),
    );
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    await commandService.shutdown();
  }

  // Later, in other processes: nothing is active, only the event metadata carries the trace.
  assert.equal(trace.getSpan(context.active()), undefined);
  await withEventSpans("project categories", store, () => Promise.resolve());
  await withEventSpans(
    "saga CategoryCreated",
    [store[0]!],
    () =>
      observeClientCall({ service: SERVICE, method: "ArchiveCategory" }, () => Promise.resolve()),
  );

  const spans = tracing.spans();
  const tree = formatSpanTree(spans);
  const byName = (name: string, kind: SpanKind): ReadableSpan => {
    const found = spans.filter((s) => s.name === name && s.kind === kind);
    assert.equal(found.length, 1, `one ${name} span of kind ${kind} in\n${tree}`);
    return found[0]!;
  };
  const http = byName("POST /graphql", SpanKind.SERVER);
  const client = byName(`${SERVICE}/CreateCategory`, SpanKind.CLIENT);
  const server = byName(`${SERVICE}/CreateCategory`, SpanKind.SERVER);
  const handler = byName("handle CreateCategory", SpanKind.INTERNAL);
  const projector = byName("project categories", SpanKind.CONSUMER);
  const saga = byName("saga CategoryCreated", SpanKind.CONSUMER);
  const sagaCall = byName(`${SERVICE}/ArchiveCategory`, SpanKind.CLIENT);

  const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
  assert.equal(traceIds.size, 1, `every span in one trace:\n${tree}`);
  assert.equal(spans.length, 7, tree);

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;
  assert.equal(parentOf(http), undefined, "the HTTP span is the root");
  assert.equal(parentOf(client), idOf(http));
  assert.equal(parentOf(server), idOf(client));
  assert.equal(server.parentSpanContext?.isRemote, true, "the server continued a remote parent");
  assert.equal(parentOf(handler), idOf(server));
  assert.equal(parentOf(projector), idOf(handler), "the projector continues the event's trace");
  assert.equal(projector.parentSpanContext?.isRemote, true);
  assert.equal(parentOf(saga), idOf(handler), "the saga continues the event's trace");
  assert.equal(parentOf(sagaCall), idOf(saga));

  assert.equal(projector.attributes["event.type"], "CategoryCreated");
  assert.equal(server.attributes["rpc.grpc.status_code"], 0);
  assert.equal(http.attributes["http.response.status_code"], 200);
  if (Deno.env.get("SHOW_TRACE")) console.log(tree);
  assert.match(tree, /^POST \/graphql \[SERVER\]/);
  assert.match(tree, /\n {8}project categories \[CONSUMER\]/);
});

Deno.test("withEventSpans() gives each trace in a batch its own span, and one new trace to untraced events", async () => {
  await using tracing = installTestTracing();
  const a = await withSpan("command a", {}, () => injectTraceparent());
  const b = await withSpan("command b", {}, () => injectTraceparent());
  const batch = [
    { type: "CategoryCreated", metadata: { traceparent: a } },
    { type: "CategoryRenamed", metadata: { traceparent: a } },
    { type: "CategoryCreated", metadata: { traceparent: b } },
    { type: "CategoryCreated", metadata: {} },
  ];
  await assert.rejects(
    withEventSpans("project categories", batch, () => Promise.reject(new Error("poison"))),
    /poison/,
  );
  const [commandA, commandB, ...projected] = tracing.spans();
  assert.equal(projected.length, 3);
  const inTrace = (traceId: string) => projected.filter((s) => s.spanContext().traceId === traceId);
  const forA = inTrace(commandA!.spanContext().traceId);
  assert.equal(forA.length, 1);
  assert.deepEqual(forA[0]!.attributes["event.type"], ["CategoryCreated", "CategoryRenamed"]);
  assert.equal(forA[0]!.attributes["messaging.batch.message_count"], 2);
  assert.equal(inTrace(commandB!.spanContext().traceId).length, 1);
  const untraced = projected.find((s) => s.parentSpanContext === undefined);
  assert.ok(untraced, "events without a traceparent get a root span");
  for (const span of projected) {
    assert.equal(span.status.code, 2, "a failed batch fails every span");
  }
});
