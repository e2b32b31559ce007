import { getCORSHeadersByRequestAndOptions } from "@whatwg-node/server";

/** Yoga's CORS options (its default: the caller's origin, with credentials). */
export const corsOptions = {};

const GRAPHQL_RESPONSE = "application/graphql-response+json";

/**
 * Adds the CORS headers Yoga gives its own answers (the same function and
 * options) to an answer the gateway made itself, e.g. one from its cache.
 */
export function withCors(request: Request, response: Response): Response {
  const headers = getCORSHeadersByRequestAndOptions(request, corsOptions);
  for (const [name, value] of Object.entries(headers ?? {})) response.headers.set(name, value);
  return response;
}

/**
 * A refusal the gateway answers itself, before GraphQL runs: a GraphQL error
 * with its code, as `application/graphql-response+json` when the client
 * accepts it (GraphQL over HTTP) and as `application/json` otherwise, with
 * CORS headers so a browser can read it.
 */
export function requestError(
  request: Request,
  status: number,
  error: { message: string; code: string; fields?: unknown },
  headers: Record<string, string> = {},
): Response {
  const accept = request.headers.get("accept") ?? "";
  const type = accept.includes(GRAPHQL_RESPONSE) ? GRAPHQL_RESPONSE : "application/json";
  const { message, ...extensions } = error;
  const body = JSON.stringify({ errors: [{ message, extensions }] });
  return withCors(
    request,
    new Response(body, {
      status,
      headers: { ...headers, "content-type": `${type}; charset=utf-8` },
    }),
  );
}
