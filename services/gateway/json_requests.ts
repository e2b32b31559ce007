import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { parseJson } from "@shared/runtime/json.ts";

/**
 * Reads the JSON of GraphQL requests (a POST body, a GET's `variables` and
 * `extensions`) with {@link parseJson} in place of yoga's native parsing,
 * which can read an escaped key as another one (see shared/runtime/json.ts).
 * Bad input gets the answers yoga gives it, and a GET whose parameters are
 * not JSON a 400 that names the parameter.
 */
export const jsonRequests: Plugin = {
  onRequestParse({ request, setRequestParser }) {
    if (request.method === "GET") setRequestParser(parseGet);
    else if (request.method === "POST" && isJson(request)) setRequestParser(parsePost);
  },
};

function isJson(request: Request): boolean {
  // As yoga matches it: the first of a list of types, parameters allowed.
  const type = request.headers.get("content-type")?.split(",")[0] ?? "";
  return ["application/json", "application/graphql+json"].some((t) =>
    type === t || type.startsWith(`${t};`)
  );
}

function parseGet(request: Request): GraphQLParams {
  const params = new URLSearchParams(request.url.slice(request.url.indexOf("?") + 1));
  const json = (name: string) => {
    const text = params.get(name);
    if (!text) return undefined;
    try {
      return parseJson(text) as Record<string, unknown>;
    } catch (err) {
      // yoga let this through as an internal error; it is the client's.
      throw badRequest(`The "${name}" parameter is not valid JSON: ${(err as Error).message}`);
    }
  };
  return {
    operationName: params.get("operationName") || undefined,
    query: params.get("query") || undefined,
    variables: json("variables"),
    extensions: json("extensions"),
  };
}

async function parsePost(request: Request): Promise<GraphQLParams> {
  const text = await request.text();
  let body: unknown;
  try {
    body = parseJson(text);
  } catch (err) {
    throw badRequest("POST body sent invalid JSON.", {
      spec: true,
      originalError: { name: (err as Error).name, message: (err as Error).message },
    });
  }
  if (body === null || typeof body !== "object") {
    const received = body === null ? "null" : typeof body;
    throw badRequest(`POST body is expected to be object but received ${received}`);
  }
  return body as GraphQLParams;
}

function badRequest(
  message: string,
  more: { spec?: boolean; originalError?: { name: string; message: string } } = {},
): GraphQLError {
  const { spec, originalError } = more;
  return new GraphQLError(message, {
    extensions: {
      http: spec ? { spec, status: 400 } : { status: 400 },
      code: "BAD_REQUEST",
      ...(originalError ? { originalError } : {}),
    },
  });
}
