/**
 * A tiny OTLP/HTTP (JSON) trace receiver for benchmarks: the services export
 * their spans to it (OTEL_EXPORTER_OTLP_ENDPOINT) and the benchmark reads
 * them back, grouped by trace.
 */

/** One finished span, as a service exported it. */
export interface SinkSpan {
  service: string;
  name: string;
  /** OTLP kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  traceId: string;
  spanId: string;
  parentId: string | undefined;
  startMs: number;
  durationMs: number;
}

/** A running receiver. */
export interface SpanSink {
  /** The endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Spans received so far. */
  spans: SinkSpan[];
  /** Requests it could not read (not JSON, say). */
  refused: number;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/** Nanoseconds since the epoch (a decimal string or a number) as milliseconds. */
function ms(nanos: string | number): number {
  const n = BigInt(nanos);
  return Number(n / 1000n) / 1000;
}

/** Starts the receiver on a free port of 127.0.0.1. */
export function startSpanSink(): SpanSink {
  const spans: SinkSpan[] = [];
  const sink: SpanSink = {
    url: "",
    spans,
    refused: 0,
    close: async () => {},
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    try {
      const body = await req.json() as OtlpExport;
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value
          .stringValue ?? "unknown";
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const startMs = ms(s.startTimeUnixNano);
            spans.push({
              service,
              name: s.name,
              kind: s.kind,
              traceId: s.traceId,
              spanId: s.spanId,
              parentId: s.parentSpanId || undefined,
              startMs,
              durationMs: ms(s.endTimeUnixNano) - startMs,
            });
          }
        }
      }
      return Response.json({});
    } catch {
      sink.refused++;
      return new Response("unreadable", { status: 400 });
    }
  });
  sink.url = `http://127.0.0.1:${server.addr.port}`;
  sink.close = () => server.shutdown();
  return sink;
}
