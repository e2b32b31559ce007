import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { install, uninstall } from "@shared/observability/install.ts";

export type { ReadableSpan };

/** Tracing installed for a test, recording finished spans in memory. */
export interface TestTracing {
  /** Spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Forgets the spans recorded so far. */
  reset(): void;
  /** Removes the provider and the globals; call it when the test ends. */
  uninstall(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Installs a tracer provider that exports every span, as soon as it ends, to
 * an in-memory exporter (nothing leaves the process, no timer is started).
 * Throws when tracing is already installed. Use with `await using`, or call
 * `uninstall()` in a `finally`.
 *
 * @example
 * await using tracing = installTestTracing();
 * await withSpan("work", {}, () => work());
 * assert.equal(tracing.spans()[0]!.name, "work");
 */
export function installTestTracing(serviceName = "test"): TestTracing {
  const exporter = new InMemorySpanExporter();
  install(
    new TracerProvider({
      resource: resourceFromAttributes({ "service.name": serviceName }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    }),
  );
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    uninstall,
    [Symbol.asyncDispose]: uninstall,
  };
}

function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of raw.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

/**
 * The value of one sample in a Prometheus text exposition: the first line of
 * metric `name` whose labels include `labels`; undefined when there is none.
 *
 * @example
 * sampleValue(text, "command_dispatched_total", { command: "CreateCategory", outcome: "ok" })
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = parseLabels(match[2] ?? "");
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/**
 * Waits up to 30 s until the gateway at `baseUrl` reports `count` open
 * subscriptions (`gateway_subscriptions` on its /metrics), then asserts it:
 * a subscription's request is answered before it may listen.
 */
export async function waitForSubscriptions(
  baseUrl: string,
  count: number,
  when = "",
): Promise<void> {
  let open: number | undefined;
  for (const deadline = Date.now() + 30_000; open !== count && Date.now() < deadline;) {
    if (open !== undefined) await new Promise((r) => setTimeout(r, 25));
    const res = await fetch(`${baseUrl}/metrics`);
    open = sampleValue(await res.text(), "gateway_subscriptions") ?? -1;
  }
  if (open !== count) {
    throw new Error(
      `subscriptions open on the gateway at ${baseUrl}${
        when && ` ${when}`
      }: ${open}, expected ${count}`,
    );
  }
}

const kindNames = ["INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];

/**
 * Draws finished spans as indented trees, one per trace, children under their
 * parent in start order: `POST /graphql [SERVER] 12.3 ms`. For assertions'
 * messages and for showing a sample trace.
 */
export function formatSpanTree(spans: readonly ReadableSpan[]): string {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    if (parent && byId.has(parent)) children.set(parent, [...(children.get(parent) ?? []), span]);
    else roots.push(span);
  }
  const started = (a: ReadableSpan, b: ReadableSpan) =>
    a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
  const lines: string[] = [];
  const draw = (span: ReadableSpan, depth: number) => {
    const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
    const error = span.status.code === 2 ? " ERROR" : "";
    lines.push(
      `${"  ".repeat(depth)}${span.name} [${kindNames[span.kind]}] ${ms} ms${error}` +
        (depth === 0 ? ` trace=${span.spanContext().traceId}` : ""),
    );
    for (const child of (children.get(span.spanContext().spanId) ?? []).sort(started)) {
      draw(child, depth + 1);
    }
  };
  for (const root of roots.sort(started)) draw(root, 0);
  return lines.join("\n");
}
