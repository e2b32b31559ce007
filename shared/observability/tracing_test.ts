import assert from "node:assert/strict";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { installTestTracing } from "@shared/testing/observability.ts";
import {
  contextFromTraceparent,
  initTracing,
  injectTraceparent,
  shutdownTracing,
  tracingEnabled,
  withRemoteParent,
  withSpan,
} from "./tracing.ts";

const ENDPOINT_VARS = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"];

function withoutEndpoint(): () => void {
  const saved = ENDPOINT_VARS.map((name) => [name, Deno.env.get(name)] as const);
  for (const name of ENDPOINT_VARS) Deno.env.delete(name);
  return () => {
    for (const [name, value] of saved) if (value !== undefined) Deno.env.set(name, value);
  };
}

Deno.test("initTracing() installs nothing when OTEL_EXPORTER_OTLP_ENDPOINT is unset", async () => {
  const restore = withoutEndpoint();
  try {
    assert.equal(await initTracing("test"), false);
    assert.equal(tracingEnabled(), false);
    const span = trace.getTracer("probe").startSpan("probe");
    assert.equal(span.isRecording(), false);
    assert.equal(trace.isSpanContextValid(span.spanContext()), false);
    span.end();
    let ran = false;
    const result = await withSpan("work", { a: 1 }, async () => {
      await Promise.resolve();
      ran = true;
      return injectTraceparent();
    });
    assert.equal(ran, true);
    assert.equal(result, undefined);
    await assert.rejects(withSpan("fails", {}, () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(
      withRemoteParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", () => 42),
      42,
    );
    await shutdownTracing();
  } finally {
    restore();
  }
});

Deno.test("initTracing() installs an OTLP provider when the endpoint is set, and shutdownTracing() removes it", async () => {
  const restore = withoutEndpoint();
  // Nothing listens there; no span is ended, so nothing is sent.
  Deno.env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
  try {
    assert.equal(await initTracing("test"), true);
    assert.equal(tracingEnabled(), true);
    assert.equal(await initTracing("test"), true, "a second call keeps the first provider");
    const span = trace.getTracer("probe").startSpan("probe");
    assert.equal(span.isRecording(), true);
    await shutdownTracing();
    assert.equal(tracingEnabled(), false);
  } finally {
    Deno.env.delete("OTEL_EXPORTER_OTLP_ENDPOINT");
    restore();
  }
});

Deno.test("withSpan() nests spans across awaits and timers", async () => {
  await using tracing = installTestTracing();
  await withSpan("outer", { step: "outer" }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await withSpan("inner", {}, async () => {
      await Promise.resolve();
    });
  });
  const [inner, outer] = tracing.spans();
  assert.equal(inner?.name, "inner");
  assert.equal(outer?.name, "outer");
  assert.equal(outer.attributes.step, "outer");
  assert.equal(outer.kind, SpanKind.INTERNAL);
  assert.equal(outer.parentSpanContext, undefined);
  assert.equal(inner.parentSpanContext?.spanId, outer.spanContext().spanId);
  assert.equal(inner.spanContext().traceId, outer.spanContext().traceId);
});

Deno.test("withSpan() records a thrown error on the span and rethrows it", async () => {
  await using tracing = installTestTracing();
  await assert.rejects(
    withSpan("fails", {}, () => {
      throw new RangeError('Price "-1" is below 0.01');
    }),
    RangeError,
  );
  const [span] = tracing.spans();
  assert.equal(span?.status.code, SpanStatusCode.ERROR);
  assert.match(span.status.message ?? "", /RangeError: Price/);
  assert.equal(span.events[0]?.name, "exception");
  assert.equal(span.events[0]?.attributes?.["exception.type"], "RangeError");
});

Deno.test("injectTraceparent() writes the active span and withRemoteParent() continues it", async () => {
  await using tracing = installTestTracing();
  assert.equal(injectTraceparent(), undefined, "no active span");
  const sent = await withSpan("sender", {}, () => injectTraceparent());
  assert.match(sent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  // Later, elsewhere: no span is active, only the string travelled.
  assert.equal(trace.getSpan(context.active()), undefined);
  await withRemoteParent(sent, () => withSpan("receiver", {}, () => {}));
  const [sender, receiver] = tracing.spans();
  assert.equal(receiver?.spanContext().traceId, sender?.spanContext().traceId);
  assert.equal(receiver?.parentSpanContext?.spanId, sender?.spanContext().spanId);
  assert.equal(receiver?.parentSpanContext?.isRemote, true);
});

Deno.test("contextFromTraceparent() starts a new trace from a missing or malformed traceparent", async () => {
  await using tracing = installTestTracing();
  for (
    const bad of [
      undefined,
      "",
      "not-a-traceparent",
      "00-" + "0".repeat(32) + "-" + "1".repeat(16) + "-01",
    ]
  ) {
    assert.equal(trace.getSpanContext(contextFromTraceparent(bad)), undefined, String(bad));
  }
  await withRemoteParent("garbage", () => withSpan("fresh", {}, () => {}));
  assert.equal(tracing.spans()[0]?.parentSpanContext, undefined);
});

Deno.test("installTestTracing() refuses to install over an installed provider", async () => {
  await using _tracing = installTestTracing();
  assert.throws(() => installTestTracing(), /already installed/);
});
