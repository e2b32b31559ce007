/** Helpers of observability_test.ts: finding spans, and waiting for something to happen. */
import assert from "node:assert/strict";
import { SpanKind as Kind } from "@opentelemetry/api";
import {
  formatSpanTree,
  type ReadableSpan,
  type TestTracing,
} from "@shared/testing/observability.ts";

/** The id of a span. */
export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

/** The id of a span's parent; undefined for a root. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** The ids of a span's ancestors among `spans`, its parent first. */
export function ancestorsOf(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [idOf(s), s]));
  const ids: string[] = [];
  for (let id = parentOf(span); id !== undefined; id = parentOf(byId.get(id)!)) {
    ids.push(id);
    if (!byId.has(id)) break;
  }
  return ids;
}

/** A finder of the one span of a name and kind, failing with the tree when there are none or several. */
export function byKind(
  spans: readonly ReadableSpan[],
  tree: string,
): (name: string, kind: Kind) => ReadableSpan {
  return (name, kind) => {
    const found = spans.filter((s) => s.name === name && s.kind === kind);
    assert.equal(found.length, 1, `one ${name} span of kind ${kind} in\n${tree}`);
    return found[0]!;
  };
}

/** Polls `probe` until it returns a value; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One request's trace as recorded so far. */
export interface RecordedTrace {
  /** The gateway's HTTP server span, the root. */
  http: ReadableSpan;
  spans: ReadableSpan[];
  /** {@link formatSpanTree} of the spans. */
  tree: string;
}

/**
 * The trace of the one `POST /graphql` recorded since the spans were last
 * reset, once it holds a span named `last` (work that follows the request,
 * such as the projector's, ends after it).
 */
export async function traceOfRequest(tracing: TestTracing, last: string): Promise<RecordedTrace> {
  const http = await waitFor(
    () => tracing.spans().find((s) => s.name === "POST /graphql" && s.kind === Kind.SERVER),
    "the gateway's HTTP span",
  );
  const traceId = http.spanContext().traceId;
  const inTrace = () => tracing.spans().filter((s) => s.spanContext().traceId === traceId);
  await waitFor(() => inTrace().find((s) => s.name === last), `a "${last}" span in the trace`);
  const spans = inTrace();
  return { http, spans, tree: formatSpanTree(spans) };
}
