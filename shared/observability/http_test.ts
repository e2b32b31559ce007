import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { observeHttpRequest } from "./http.ts";
import { metricsText } from "./metrics.ts";
import { installTestTracing, sampleValue } from "@shared/testing/observability.ts";

const metric = "http_server_request_duration_seconds_count";

Deno.test("observeHttpRequest() continues an incoming traceparent and times by route and status", async () => {
  await using tracing = installTestTracing();
  const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const labels = { method: "POST", route: "/graphql", status: "200" };
  const before = sampleValue(await metricsText(), metric, labels) ?? 0;
  const response = await observeHttpRequest(
    new Request("http://gateway.test/graphql?x=1", {
      method: "POST",
      headers: { traceparent: parent },
    }),
    () => new Response("{}"),
  );
  assert.equal(response.status, 200);
  assert.equal((sampleValue(await metricsText(), metric, labels) ?? 0) - before, 1);
  const [span] = tracing.spans();
  assert.equal(span?.kind, SpanKind.SERVER);
  assert.equal(span.name, "POST /graphql");
  assert.equal(span.spanContext().traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(span.parentSpanContext?.spanId, "b7ad6b7169203331");
  assert.equal(span.attributes["http.response.status_code"], 200);
});

Deno.test("observeHttpRequest() labels unknown paths as unmatched and fails the span on a 5xx or a throw", async () => {
  await using tracing = installTestTracing();
  const unmatched = { method: "GET", route: "unmatched", status: "404" };
  const before = sampleValue(await metricsText(), metric, unmatched) ?? 0;
  await observeHttpRequest(
    new Request("http://gateway.test/wp-admin"),
    () => new Response("", { status: 404 }),
  );
  assert.equal((sampleValue(await metricsText(), metric, unmatched) ?? 0) - before, 1);

  await observeHttpRequest(
    new Request("http://gateway.test/graphql"),
    () => new Response("", { status: 503 }),
  );
  await assert.rejects(
    observeHttpRequest(
      new Request("http://gateway.test/graphql"),
      () => Promise.reject(new Error("crash")),
    ),
    /crash/,
  );
  const [notFound, unavailable, crashed] = tracing.spans();
  assert.equal(notFound?.status.code, SpanStatusCode.UNSET);
  assert.equal(unavailable?.status.code, SpanStatusCode.ERROR);
  assert.equal(crashed?.status.code, SpanStatusCode.ERROR);
});

Deno.test("observeHttpRequest() labels methods from a fixed set, so a scanner cannot grow the series", async () => {
  const count = async (method: string) =>
    sampleValue(await metricsText(), metric, { method, route: "/graphql", status: "405" }) ?? 0;
  const before = { other: await count("other"), head: await count("HEAD") };
  for (const method of ["PROPFIND", "FOO-1", "get2", "HEAD"]) {
    await observeHttpRequest(
      new Request("http://gateway.test/graphql", { method }),
      () => new Response(null, { status: 405 }),
    );
  }
  assert.equal(await count("other") - before.other, 3);
  assert.equal(await count("HEAD") - before.head, 1);
  assert.equal(await count("PROPFIND"), 0);
  assert.ok(!(await metricsText()).includes('method="FOO-1"'));
});
