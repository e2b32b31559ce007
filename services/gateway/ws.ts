import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeHandler } from "graphql-ws/use/deno";
import type { ExecutionArgs } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import type { Context } from "./context.ts";

type Enveloped = ReturnType<YogaServerInstance<{ request: Request }, Context>["getEnveloped"]>;

/**
 * Serves GraphQL over WebSocket (the graphql-ws protocol) for one upgrade
 * request, running every operation through Yoga's envelop (the same schema,
 * context, limits and error masking as HTTP and SSE).
 */
export function upgradeToGraphQLWs(
  request: Request,
  yoga: YogaServerInstance<{ request: Request }, Context>,
): Response {
  const { socket, response } = Deno.upgradeWebSocket(request, {
    protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
    idleTimeout: 30,
  });
  const handler = makeHandler({
    execute: (args) =>
      (args.rootValue as { execute: Enveloped["execute"] }).execute(args as ExecutionArgs),
    subscribe: (args) =>
      (args.rootValue as { subscribe: Enveloped["subscribe"] }).subscribe(args as ExecutionArgs),
    onSubscribe: async (_ctx, _id, payload) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        request,
        params: payload,
      });
      const document = parse(payload.query);
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      return {
        schema,
        document,
        operationName: payload.operationName ?? null,
        variableValues: payload.variables ?? null,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
    },
  });
  handler(socket);
  return response;
}
