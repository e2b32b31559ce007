import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

/** Limits on what one GraphQL request may ask for. */
export interface QueryLimits {
  /** Deepest selection nesting; default 10. */
  maxDepth: number;
  /** Highest estimated cost (graphql-armor's cost model); default 5000. */
  maxCost: number;
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
  maxCost: 5000,
  maxAliases: 15,
  maxTokens: 2000,
  maxBodyBytes: 100 * 1024,
};

/** graphql-armor's depth, cost, alias and token limits, with field suggestions off. */
export function armorPlugin(limits: QueryLimits): Plugin {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
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

function tooLarge(limit: number): Response {
  return Response.json({
    errors: [{
      message: `Request body is larger than the limit of ${limit} bytes`,
      extensions: { code: "VALIDATION" },
    }],
  }, { status: 413 });
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
    return tooLarge(limit);
  }
  if (declared > 0) {
    // The usual case: one read of a declared length (Deno enforces that the body matches it).
    const body = new Uint8Array(await request.arrayBuffer());
    return body.byteLength > limit ? tooLarge(limit) : body;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) return tooLarge(limit);
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
