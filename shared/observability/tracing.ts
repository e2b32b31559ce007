import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
} from "@opentelemetry/api";
import { install, isInstalled, uninstall } from "./install.ts";
import { runSpan } from "./_span.ts";

export type { Attributes, Span };

/**
 * Switches tracing on for this process when `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: a tracer provider named
 * after the service (`OTEL_SERVICE_NAME` wins when set), batching spans to the
 * OTLP HTTP exporter (`<endpoint>/v1/traces`). When neither is set nothing is
 * installed or even loaded, and every helper here just runs its function.
 * Resolves to whether tracing is on. Call it once, first thing in `main.ts`.
 */
export async function initTracing(serviceName: string): Promise<boolean> {
  const endpoint = Deno.env.get("OTEL_EXPORTER_OTLP_ENDPOINT") ||
    Deno.env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (!endpoint) return false;
  if (isInstalled()) return true;
  // Loaded only when switched on: the exporter pulls in the whole OTLP encoder.
  const [
    { BatchSpanProcessor, TracerProvider },
    { OTLPTraceExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": Deno.env.get("OTEL_SERVICE_NAME") || serviceName,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  install(provider);
  return true;
}

/** Sends the spans still buffered and switches tracing off; call it when the service stops. */
export async function shutdownTracing(): Promise<void> {
  await uninstall();
}

/** True when a tracer provider is installed (by {@link initTracing} or a test). */
export function tracingEnabled(): boolean {
  return isInstalled();
}

/**
 * Runs `fn` in a new span that is a child of the active one: a thrown error
 * sets the span's status to ERROR, is recorded as an exception event, and is
 * rethrown. With tracing off it only runs `fn`.
 *
 * @example
 * const order = await withSpan("decide PlaceOrder", { "order.id": id }, () => decide(cmd, state));
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  return runSpan(name, { kind: SpanKind.INTERNAL, attributes }, fn);
}

/**
 * The W3C `traceparent` of the active span, to put in gRPC metadata or in
 * event metadata; undefined when tracing is off or no span is active.
 */
export function injectTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * A context whose parent is the remote span named by `traceparent` (from gRPC
 * metadata or an event's metadata); the root context when it is missing or
 * malformed, so that spans started in it begin a new trace.
 */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent || !isInstalled()) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * Runs `fn` with the remote span named by `traceparent` as the active parent,
 * so the spans it starts continue that trace (a new trace when it is missing).
 *
 * @example
 * await withRemoteParent(event.metadata.traceparent, () =>
 *   withSpan("saga OrderPlaced", { "order.id": event.aggregateId }, () => saga.handle(event)));
 */
export function withRemoteParent<T>(traceparent: string | undefined, fn: () => T): T {
  return context.with(contextFromTraceparent(traceparent), fn);
}
