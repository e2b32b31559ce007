import assert from "node:assert/strict";
import { initTracing, shutdownTracing, withSpan } from "./tracing.ts";

Deno.test("initTracing() exports finished spans over OTLP HTTP to <endpoint>/v1/traces", async () => {
  const received: { path: string; body: string }[] = [];
  const collector = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      received.push({ path: new URL(req.url).pathname, body: await req.text() });
      return Response.json({});
    },
  );
  const saved = Deno.env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
  Deno.env.set("OTEL_EXPORTER_OTLP_ENDPOINT", `http://127.0.0.1:${collector.addr.port}`);
  try {
    assert.equal(await initTracing("otlp-test"), true);
    await withSpan("exported work", { "order.id": "o-1" }, () => {});
    await shutdownTracing();
    assert.equal(received.length, 1);
    assert.equal(received[0]!.path, "/v1/traces");
    const body = JSON.parse(received[0]!.body);
    const resource = body.resourceSpans[0].resource.attributes;
    assert.deepEqual(
      resource.find((a: { key: string }) => a.key === "service.name")?.value,
      { stringValue: "otlp-test" },
    );
    assert.equal(body.resourceSpans[0].scopeSpans[0].spans[0].name, "exported work");
  } finally {
    if (saved === undefined) Deno.env.delete("OTEL_EXPORTER_OTLP_ENDPOINT");
    else Deno.env.set("OTEL_EXPORTER_OTLP_ENDPOINT", saved);
    await collector.shutdown();
  }
});
