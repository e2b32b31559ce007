import { ValidationError } from "@shared/errors/mod.ts";
import { requestError } from "./http_errors.ts";

/**
 * Which browser origins may read the gateway's answers: exact origins
 * (each with credentials), or `*` (any origin, never with credentials;
 * development only), or none (no CORS headers at all).
 */
export type CorsPolicy = { origins: readonly string[] } | "any" | "none";

/**
 * The policy of `CORS_ORIGINS` (comma-separated exact origins, or `*`) in
 * `mode`: unset, development lets any origin read without credentials and
 * production none. `*` is refused in production, since it would let any site
 * read what the gateway answers to a browser on the user's network.
 */
export function corsPolicyOf(
  value: string | undefined,
  mode: "development" | "production",
): CorsPolicy {
  const listed = (value ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  if (listed.length === 0) return mode === "production" ? "none" : "any";
  if (listed.includes("*")) {
    if (mode === "production" || listed.length > 1) {
      throw new ValidationError([{
        field: "CORS_ORIGINS",
        message: "may be * only alone and only in development",
      }]);
    }
    return "any";
  }
  for (const origin of listed) {
    if (!isOrigin(origin)) {
      throw new ValidationError([{
        field: "CORS_ORIGINS",
        message: `must list origins such as https://shop.example.com (scheme://host[:port]), not ${
          JSON.stringify(origin.slice(0, 100))
        }`,
      }]);
    }
  }
  return { origins: listed };
}

/** Whether `value` is exactly an origin as a browser sends it (no path, no trailing slash). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
  } catch {
    return false;
  }
}

const ALLOWED_METHODS = "GET, POST, OPTIONS";
const ALLOWED_HEADERS = "authorization, content-type, accept, idempotency-key, x-correlation-id";

/**
 * The CORS headers of an answer to `request` under `policy`: none without
 * an `Origin`, or for an origin the policy does not list. Credentials go
 * only with a listed origin, never with `*` nor an echoed arbitrary origin.
 */
export function corsHeaders(request: Request, policy: CorsPolicy): Record<string, string> {
  const origin = request.headers.get("origin");
  if (origin === null || policy === "none") return {};
  const headers: Record<string, string> = {};
  if (policy === "any") {
    headers["access-control-allow-origin"] = "*";
  } else {
    // The answer differs by origin, so shared caches must key it by origin.
    headers["vary"] = "Origin";
    if (!policy.origins.includes(origin)) return headers;
    headers["access-control-allow-origin"] = origin;
    headers["access-control-allow-credentials"] = "true";
  }
  if (request.method === "OPTIONS") {
    headers["access-control-allow-methods"] = ALLOWED_METHODS;
    headers["access-control-allow-headers"] = ALLOWED_HEADERS;
    headers["access-control-max-age"] = "600";
  }
  return headers;
}

/**
 * `response` with the CORS headers of `request`, whoever made it (GraphQL,
 * the cache, or a refusal of the gateway's own), and any others removed.
 */
export function withCors(request: Request, response: Response, policy: CorsPolicy): Response {
  // A WebSocket handshake is not read by CORS (and Deno's upgrade answer is fixed).
  if (response.status === 101) return response;
  const headers = corsHeaders(request, policy);
  let out = response;
  try {
    applyHeaders(out.headers, headers);
  } catch {
    // Immutable headers (e.g. a fetched response): copy it.
    out = new Response(response.body, response);
    applyHeaders(out.headers, headers);
  }
  return out;
}

function applyHeaders(target: Headers, headers: Record<string, string>): void {
  for (const name of [...target.keys()]) {
    if (name.startsWith("access-control-")) target.delete(name);
  }
  for (const [name, value] of Object.entries(headers)) target.set(name, value);
}

/** Media types a cross-site HTML form (or a fetch without a preflight) can send. */
const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

/**
 * Refuses a POST whose body is a form or plain text (415): GraphQL is
 * posted as JSON, and these are the types a cross-site form can post
 * without a CORS preflight, so refusing them keeps other sites from
 * running mutations with the user's cookies or network. Null when allowed.
 */
export function refuseFormPost(request: Request): Response | null {
  if (request.method !== "POST") return null;
  const raw = request.headers.get("content-type") ?? "";
  const type = raw.split(";")[0]!.trim().toLowerCase();
  if (!FORM_TYPES.includes(type)) return null;
  return requestError(request, 415, {
    message: `Content-Type ${
      JSON.stringify(type)
    } is not accepted: send GraphQL as application/json`,
    code: "UNSUPPORTED_MEDIA_TYPE",
    fields: [{ field: "content-type", message: "must be application/json" }],
  });
}
