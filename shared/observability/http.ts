import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { histogram, secondsSince } from "./_registry.ts";
import { runSpan } from "./_span.ts";
import { contextFromTraceparent } from "./tracing.ts";

const requestSeconds = histogram(
  "http_server_request_duration_seconds",
  "Time to answer an HTTP request, by method, route and status (http.server.request.duration)",
  ["method", "route", "status"],
);

/** Options of {@link observeHttpRequest}. */
export interface HttpObserveOptions {
  /** The route label; default the path of a request that was not a 404, else `unmatched`. */
  route?: string;
}

/**
 * Answers an HTTP request in a SERVER span (continuing the caller's trace when
 * the request carries a `traceparent` header) and times it in
 * `http_server_request_duration_seconds`. A thrown error or a 5xx fails the
 * span. For the gateway, around everything but `/metrics` and `/health`.
 *
 * @example
 * fetch: (request) => observeHttpRequest(request, () => gateway.fetch(request))
 */
export function observeHttpRequest(
  request: Request,
  fn: () => Response | Promise<Response>,
  options: HttpObserveOptions = {},
): Promise<Response> {
  const url = new URL(request.url);
  const start = performance.now();
  const record = (status: number) => {
    // Paths of unknown routes are not labels: a scanner would make them unbounded.
    const route = options.route ?? (status === 404 ? "unmatched" : url.pathname);
    requestSeconds.observe(
      { method: request.method, route, status: String(status) },
      secondsSince(start),
    );
  };
  return runSpan(`${request.method} ${options.route ?? url.pathname}`, {
    kind: SpanKind.SERVER,
    attributes: { "http.request.method": request.method, "url.path": url.pathname },
    parent: contextFromTraceparent(request.headers.get("traceparent") ?? undefined),
  }, async (span) => {
    let response: Response;
    try {
      response = await fn();
    } catch (err) {
      record(500);
      throw err;
    }
    record(response.status);
    span.setAttribute("http.response.status_code", response.status);
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  });
}
