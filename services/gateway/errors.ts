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
    // A key reused with another input is the caller's mistake, refused whole: 422, as
    // the Idempotency-Key draft says (Yoga sets the status of a single operation).
    if (original.code === "IDEMPOTENCY_KEY_REUSED") extensions.http = { status: 422 };
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
  if (error instanceof GraphQLError) {
    const refused = variableError(error);
    if (refused) return refused;
    if (!error.originalError) return error;
  }
  logger.error("unexpected error", { error });
  return new GraphQLError("Internal error", { extensions: { code: "INTERNAL" } });
}

const VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/;

/**
 * A variable GraphQL could not coerce to its type (a float or a string for
 * an Int, an Int past 32 bits, a number for a String) is the caller's
 * mistake: VALIDATION naming the variable, or the field inside it, with
 * GraphQL's own words. Null for any other error.
 */
function variableError(error: GraphQLError): GraphQLError | null {
  const fromGraphQL = !error.originalError || error.originalError instanceof GraphQLError;
  const variable = VARIABLE.exec(error.message);
  if (!fromGraphQL || error.path || !variable) return null;
  const field = / at "([^"]+)"/.exec(error.message)?.[1] ?? variable[1]!;
  const issue = { field, message: error.message.replace(/^[^;]*; /, "") };
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    extensions: { code: "VALIDATION", fields: [issue] },
  });
}
