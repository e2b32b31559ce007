import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { costPlugin, responseSizePlugin, valueBudgetPlugin } from "./answer_limits.ts";
import { requestError } from "./http_errors.ts";

/** Limits on what one GraphQL request may ask for. */
export interface QueryLimits {
  /** Deepest selection nesting; default 10. */
  maxDepth: number;
  /**
   * Highest estimated cost: how many values the answer can hold, each list
   * counted at its page size or bound (see {@link queryCost}); default 20000.
   */
  maxCost: number;
  /** Items assumed in a list with no page size or known bound (every category); default 50. */
  assumedListSize: number;
  /** Largest answer (one result, or one event of a stream) in bytes of JSON; default 4 MiB. */
  maxResponseBytes: number;
  /** Most aliases in one document; default 15. */
  maxAliases: number;
  /** Most tokens in one document; default 2000. */
  maxTokens: number;
  /** Largest request body in bytes; default 100 KiB. */
  maxBodyBytes: number;
}

/** The defaults of {@link QueryLimits}. */
export const defaultLimits: QueryLimits = {
  maxDepth: 10,
  maxCost: 20_000,
  assumedListSize: 50,
  maxResponseBytes: 4 * 1024 * 1024,
  maxAliases: 15,
  maxTokens: 2000,
  maxBodyBytes: 100 * 1024,
};

/**
 * The limits on documents and answers: graphql-armor's depth, alias and
 * token limits (field suggestions off), the cost limit and the answer size cap.
 */
export function limitPlugins(limits: QueryLimits): Plugin[] {
  return [
    armorPlugin(limits),
    costPlugin(limits),
    valueBudgetPlugin(limits.maxCost),
    responseSizePlugin(limits.maxResponseBytes),
  ];
}

function armorPlugin(limits: QueryLimits): Plugin {
  // graphql-armor's cost limit counts a list field like any other: its own
  // cost rule (costPlugin) multiplies by list sizes instead.
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
    costLimit: { enabled: false },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: 20 },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
}

/** Refuses introspection queries (production, unless configured otherwise). */
export const noIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

function tooLarge(request: Request, limit: number): Response {
  return requestError(request, 413, {
    message: `Request body is larger than the limit of ${limit} bytes`,
    code: "VALIDATION",
  });
}

/**
 * Reads a request body up to `limit` bytes: the bytes (null without a body),
 * or a 413 response when the body is larger. The declared Content-Length is
 * checked before anything is read.
 */
export async function readBody(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | null | Response> {
  if (!request.body) return null;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await request.body.cancel();
    return tooLarge(request, limit);
  }
  if (declared > 0) {
    // The usual case: one read of a declared length (Deno enforces that the body matches it).
    const body = new Uint8Array(await request.arrayBuffer());
    return body.byteLength > limit ? tooLarge(request, limit) : body;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) return tooLarge(request, limit);
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
