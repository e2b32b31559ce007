/**
 * A gateway in the test process with no service behind it: its command and
 * query addresses point at a port nothing listens on, so whatever a test
 * sees is answered (or refused) by the gateway itself, and a request that
 * got through would meet UNAVAILABLE.
 */
import { createLogger } from "@shared/log/mod.ts";
import { createGateway, type Gateway, type GatewayOptions } from "../../services/gateway/app.ts";

/** A production secret long enough for the gateway's checks. */
export const PRODUCTION_AUTH = { secret: "a-production-secret-of-at-least-32-characters" };

/** Options of a gateway whose services are unreachable. */
export const LONE_GATEWAY: GatewayOptions = {
  commandAddress: "127.0.0.1:1",
  queryAddress: "127.0.0.1:1",
  logger: createLogger("test"),
  cache: false,
  deadlines: { read: 200, list: 200, command: 200 },
  resilience: { retries: 0 },
};

/** Runs `fn` with a lone gateway built from `options`, and closes it afterwards. */
export async function withLoneGateway(
  options: Partial<GatewayOptions>,
  fn: (gateway: Gateway) => Promise<void>,
): Promise<void> {
  const gateway = await createGateway({ ...LONE_GATEWAY, ...options });
  try {
    await fn(gateway);
  } finally {
    await gateway.close();
  }
}

/** A GraphQL error as the gateway answers it. */
export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; fields?: { field: string; message?: string }[] };
}

/** The HTTP status and JSON body of a GraphQL POST. */
export interface PostedAnswer {
  status: number;
  data?: Record<string, Record<string, unknown> | null> | null;
  errors?: GraphQLErrorBody[];
}

/** POSTs a GraphQL document (with variables and headers) to a gateway's fetch handler. */
export async function postGraphQL(
  gateway: Gateway,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<PostedAnswer> {
  const res = await gateway.fetch(
    new Request("http://gateway/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body: JSON.stringify(
        options.variables ? { query, variables: options.variables } : { query },
      ),
    }),
  );
  return { status: res.status, ...await res.json() };
}
