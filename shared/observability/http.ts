import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { histogram, secondsSince } from "./_registry.ts";
import { runSpan } from "./_span.ts";
import { contextFromTraceparent } from "./tracing.ts";

const requestSeconds = histogram(
  "http_server_request_duration_seconds",
  "Time to answer an HTTP request, by method, route and status (http.server.request.duration)",
  ["method", "route", "status"],
);

/** Methods that get their own label; any other is `other`, so a scanner cannot add series. */
const METHODS = new Set(["GET", "POST", "OPTIONS", "HEAD"]);

/** The method label of a request: GET, POST, OPTIONS, HEAD or `other`. */
function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

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
  const method = methodLabel(request.method);
  const start = performance.now();
  const record = (status: number) => {
    // Paths of unknown routes are not labels: a scanner would make them unbounded.
    const route = options.route ?? (status === 404 ? "unmatched" : url.pathname);
    requestSeconds.observe(
      { method, route, status: String(status) },
      secondsSince(start),
    );
  };
  // OpenTelemetry's conventions name an unknown method `_OTHER` and keep the original aside.
  const attributes: Record<string, string> = method === "other"
    ? { "http.request.method": "_OTHER", "http.request.method_original": request.method }
    : { "http.request.method": method };
  return runSpan(`${method === "other" ? "HTTP" : method} ${options.route ?? url.pathname}`, {
    kind: SpanKind.SERVER,
    attributes: { ...attributes, "url.path": url.pathname },
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
