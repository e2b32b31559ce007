/** A GraphQL response as the gateway sends it. */
export interface GraphQLResponse<D = Record<string, unknown>> {
  data?: D | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    extensions?: Record<string, unknown> & { code?: string };
  }[];
  extensions?: Record<string, unknown>;
}

/** Posts one GraphQL operation to a gateway over HTTP. */
export async function gql<D = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<D>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return await res.json() as GraphQLResponse<D>;
}
