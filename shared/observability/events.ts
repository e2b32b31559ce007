import { type Attributes, context, type Span, SpanKind, trace } from "@opentelemetry/api";
import { isInstalled } from "./install.ts";
import { markError, TRACER_NAME } from "./_span.ts";
import { contextFromTraceparent } from "./tracing.ts";

/** What tracing reads of a recorded event; `RecordedEvent` fits. */
export interface TracedEvent {
  type: string;
  eventId?: string;
  metadata: { traceparent?: unknown };
}

function traceparentOf(event: TracedEvent): string {
  const value = event.metadata.traceparent;
  return typeof value === "string" ? value : "";
}

/**
 * Runs `fn` once for a batch of events and records one CONSUMER span named
 * `name` per trace among them, each a child of the span that wrote its
 * events (the `traceparent` in their metadata), so the trace of every
 * mutation shows the work its events caused here, even long after the
 * request. Events without a traceparent share one span in a new trace. `fn`
 * runs with the first span active; a thrown error fails every span.
 *
 * @example
 * await withEventSpans(`project ${projection.name}`, batch, () => apply(batch));
 */
export async function withEventSpans<T>(
  name: string,
  events: readonly TracedEvent[],
  fn: () => T | Promise<T>,
): Promise<T> {
  if (!isInstalled() || events.length === 0) return await fn();
  const groups = new Map<string, TracedEvent[]>();
  for (const event of events) {
    const key = traceparentOf(event);
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  const tracer = trace.getTracer(TRACER_NAME);
  const spans: Span[] = [];
  for (const [traceparent, group] of groups) {
    const types = [...new Set(group.map((e) => e.type))];
    const attributes: Attributes = {
      "messaging.operation.type": "process",
      "messaging.batch.message_count": group.length,
      "event.type": types.length === 1 ? types[0]! : types,
    };
    const ids = group.flatMap((e) => (e.eventId ? [e.eventId] : []));
    if (ids.length > 0) attributes["event.id"] = ids.length === 1 ? ids[0]! : ids;
    spans.push(
      tracer.startSpan(
        name,
        { kind: SpanKind.CONSUMER, attributes },
        contextFromTraceparent(traceparent),
      ),
    );
  }
  const first = spans[0]!;
  try {
    return await context.with(trace.setSpan(context.active(), first), fn);
  } catch (err) {
    for (const span of spans) markError(span, err);
    throw err;
  } finally {
    for (const span of spans) span.end();
  }
}
