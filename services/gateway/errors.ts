import { GraphQLError } from "graphql";
import { AppError, ValidationError } from "@shared/errors/mod.ts";
import type { Logger } from "@shared/log/mod.ts";

/**
 * Maps an error raised while resolving to what the caller sees: an AppError
 * keeps its message and gets its code in `extensions.code`; anything else is
 * logged and masked as INTERNAL.
 */
export function toGraphQLError(error: unknown, logger: Logger): GraphQLError {
  const original = error instanceof GraphQLError ? error.originalError ?? error : error;
  if (original instanceof AppError) {
    const extensions: Record<string, unknown> = { code: original.code };
    if (original instanceof ValidationError) {
      extensions.fields = original.issues;
    } else {
      for (const [k, v] of Object.entries(original.details)) {
        if (
          k === "field" || k === "streamId" || k.endsWith("Version") || k === "service" ||
          k === "consistencyToken" || k === "projections"
        ) {
          extensions[k] = v;
        }
      }
    }
    if (original.code === "INTERNAL") {
      logger.error("internal error", { error: original });
      return new GraphQLError("Internal error", { extensions: { code: "INTERNAL" } });
    }
    const base = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(original.message, {
      ...(base?.nodes ? { nodes: base.nodes } : {}),
      ...(base?.path ? { path: base.path } : {}),
      extensions,
    });
  }
  if (error instanceof GraphQLError && !error.originalError) return error;
  logger.error("unexpected error", { error });
  return new GraphQLError("Internal error", { extensions: { code: "INTERNAL" } });
}
