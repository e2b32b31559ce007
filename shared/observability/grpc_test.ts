import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  AlreadyExistsError,
  ConflictError,
  InternalError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { grpcCodeOf, observeClientCall, observeServerCall } from "./grpc.ts";
import { metricsText } from "./metrics.ts";
import { installTestTracing, sampleValue } from "@shared/testing/observability.ts";

const rpc = { service: "cqrs.query.v1.CategoryQueries", method: "GetCategory" };

async function handled(side: "server" | "client", code: string): Promise<number> {
  return sampleValue(await metricsText(), `grpc_${side}_handled_total`, { ...rpc, code }) ?? 0;
}

Deno.test("grpcCodeOf() names the status of grpc-js errors, AppErrors and anything else", () => {
  assert.equal(grpcCodeOf({ code: 14, details: "no connection" }), "UNAVAILABLE");
  assert.equal(grpcCodeOf(new NotFoundError('Category "x" not found')), "NOT_FOUND");
  assert.equal(
    grpcCodeOf(new ValidationError([{ field: "id", message: "must be a UUID" }])),
    "INVALID_ARGUMENT",
  );
  assert.equal(
    grpcCodeOf(new UnavailableError("down", { grpcCode: "DEADLINE_EXCEEDED" })),
    "DEADLINE_EXCEEDED",
  );
  assert.equal(grpcCodeOf(new Error("bug")), "UNKNOWN");
  assert.equal(grpcCodeOf(new Error("bug"), "INTERNAL"), "INTERNAL");
  assert.equal(grpcCodeOf(undefined), "UNKNOWN");
});

Deno.test("grpcCodeOf() names a duplicate and an unreachable database as the server sends them", () => {
  assert.equal(grpcCodeOf(new AlreadyExistsError("taken")), "ALREADY_EXISTS");
  assert.equal(grpcCodeOf(new ConflictError("raced")), "ABORTED");
  assert.equal(
    grpcCodeOf(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
    "UNAVAILABLE",
  );
});

Deno.test("observeServerCall() counts by code and fails the span only for server faults", async () => {
  await using tracing = installTestTracing();
  const before = await Promise.all(
    ["OK", "NOT_FOUND", "INTERNAL"].map((c) => handled("server", c)),
  );
  const timed = sampleValue(await metricsText(), "grpc_server_handling_seconds_count", rpc) ?? 0;

  assert.equal(await observeServerCall(rpc, () => "found"), "found");
  await assert.rejects(
    observeServerCall(rpc, () => Promise.reject(new NotFoundError("gone"))),
    NotFoundError,
  );
  await assert.rejects(
    observeServerCall(rpc, () => Promise.reject(new TypeError("bug"))),
    TypeError,
  );

  const after = await Promise.all(["OK", "NOT_FOUND", "INTERNAL"].map((c) => handled("server", c)));
  assert.deepEqual(after.map((v, i) => v - before[i]!), [1, 1, 1]);
  assert.equal(
    (sampleValue(await metricsText(), "grpc_server_handling_seconds_count", rpc) ?? 0) - timed,
    3,
  );

  const [ok, notFound, internal] = tracing.spans();
  for (const span of [ok, notFound, internal]) {
    assert.equal(span?.kind, SpanKind.SERVER);
    assert.equal(span.name, `${rpc.service}/${rpc.method}`);
    assert.equal(span.attributes["rpc.system"], "grpc");
  }
  assert.equal(ok!.attributes["rpc.grpc.status_code"], 0);
  assert.equal(notFound!.attributes["rpc.grpc.status_code"], 5);
  assert.equal(notFound!.status.code, SpanStatusCode.UNSET, "a refusal is not a server fault");
  assert.equal(internal!.attributes["rpc.grpc.status_code"], 13);
  assert.equal(internal!.status.code, SpanStatusCode.ERROR);
});

Deno.test("observeClientCall() hands the traceparent of its CLIENT span to the call and counts by code", async () => {
  await using tracing = installTestTracing();
  const before = await Promise.all(["OK", "UNAVAILABLE"].map((c) => handled("client", c)));
  let sent: string | undefined;
  await observeClientCall(rpc, (traceparent) => {
    sent = traceparent;
  });
  await assert.rejects(
    observeClientCall(
      rpc,
      () => Promise.reject(new UnavailableError("down", { grpcCode: "UNAVAILABLE" })),
    ),
    UnavailableError,
  );
  const after = await Promise.all(["OK", "UNAVAILABLE"].map((c) => handled("client", c)));
  assert.deepEqual(after.map((v, i) => v - before[i]!), [1, 1]);

  const [ok, failed] = tracing.spans();
  assert.equal(ok?.kind, SpanKind.CLIENT);
  assert.equal(sent, `00-${ok.spanContext().traceId}-${ok.spanContext().spanId}-01`);
  assert.equal(failed?.status.code, SpanStatusCode.ERROR, "any failed call fails the client span");
  assert.equal(failed.attributes["rpc.grpc.status_code"], 14);
});

Deno.test("observeServerCall() and observeClientCall() take a custom code extractor", async () => {
  const custom = { ...rpc, codeOf: () => "RESOURCE_EXHAUSTED" };
  const before = await handled("server", "RESOURCE_EXHAUSTED");
  await assert.rejects(observeServerCall(custom, () => Promise.reject(new InternalError("full"))));
  assert.equal(await handled("server", "RESOURCE_EXHAUSTED") - before, 1);
});

Deno.test("observeClientCall() passes no traceparent when tracing is off", async () => {
  let sent: string | undefined = "unset";
  await observeClientCall(rpc, (traceparent) => {
    sent = traceparent;
  });
  assert.equal(sent, undefined);
});
