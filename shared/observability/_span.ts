import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { isInstalled } from "./install.ts";

/** The instrumentation scope of every span this library starts. */
export const TRACER_NAME = "@shared/observability";

/** Handed to callbacks when tracing is off: records nothing. */
export const noopSpan: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** How to start one span. */
export interface SpanSpec {
  kind: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent context; default the active one. */
  parent?: Context;
  /** Whether a thrown error marks the span as failed; default always. */
  isError?: (err: unknown) => boolean;
}

/** Marks a span as failed by an error: status ERROR with its message, and an exception event. */
export function markError(span: Span, err: unknown): void {
  if (err instanceof Error) {
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${err.name}: ${err.message}` });
  } else {
    span.recordException(String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
  }
}

/**
 * Runs `fn` inside a new span, made the active one so that spans started in
 * `fn` (across awaits) become its children, and ends it when `fn` settles.
 * With no tracer provider installed it only runs `fn`.
 */
export async function runSpan<T>(
  name: string,
  spec: SpanSpec,
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  if (!isInstalled()) return await fn(noopSpan);
  const parent = spec.parent ?? context.active();
  const span = trace.getTracer(TRACER_NAME).startSpan(name, {
    kind: spec.kind,
    ...(spec.attributes ? { attributes: spec.attributes } : {}),
    ...(spec.links ? { links: spec.links } : {}),
  }, parent);
  return await context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      if (spec.isError?.(err) ?? true) markError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export { SpanKind };
