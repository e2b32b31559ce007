const GRAPHQL_RESPONSE = "application/graphql-response+json";

/**
 * A refusal the gateway answers itself, before GraphQL runs: a GraphQL error
 * with its code, as `application/graphql-response+json` when the client
 * accepts it (GraphQL over HTTP) and as `application/json` otherwise. The
 * gateway adds the CORS headers of its policy to every answer (cors.ts).
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
  return new Response(body, {
    status,
    headers: { ...headers, "content-type": `${type}; charset=utf-8` },
  });
}
