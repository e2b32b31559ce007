import {
  CloseCode,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  makeServer,
  type ServerOptions,
} from "graphql-ws";
import { hasEscapedKey, parseJson } from "@shared/runtime/json.ts";
import { type ExecutionArgs, GraphQLError } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import { AppError } from "@shared/errors/mod.ts";
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
  /** Called with the copy of the upgrade request that operations will see. */
  onHandshake: (handshake: Request) => void,
  /**
   * Called with `connectionParams.authorization` when the client sends one,
   * before the connection is acknowledged; an AppError it throws (a bad
   * token) closes the socket with 4401 Unauthorized and its message.
   */
  onAuthorization?: (handshake: Request, authorization: unknown) => Promise<void>,
  /**
   * Largest message in bytes, as for an HTTP request's body: a larger one
   * closes the socket with 4413 (as HTTP's 413) before it is parsed.
   */
  maxMessageBytes = Infinity,
): Response {
  // Read before upgrading: the request cannot be read afterwards. Operations
  // get a copy of its URL and headers (for their metadata).
  const handshake = new Request(request.url, { headers: new Headers(request.headers) });
  onHandshake(handshake);
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) =>
    p.trim()
  );
  const protocol = offered.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)
    ? GRAPHQL_TRANSPORT_WS_PROTOCOL
    : "";
  // Deno refuses to answer with a subprotocol the client did not offer; without
  // one, the socket opens and graphql-ws closes it with 4406 (not acceptable).
  const { socket, response } = Deno.upgradeWebSocket(request, {
    ...(protocol ? { protocol } : {}),
    idleTimeout: 30,
  });
  const server = makeServer(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization;
        if (authorization === undefined || !onAuthorization) return true;
        try {
          await onAuthorization(handshake, authorization);
          return true;
        } catch (err) {
          const reason = err instanceof AppError ? err.message : "Unauthorized";
          // A close reason holds at most 123 bytes.
          socket.close(CloseCode.Unauthorized, reason.slice(0, 120).replace(/[^\x20-\x7e]/g, "?"));
          return false;
        }
      },
      execute: (args) =>
        (args.rootValue as { execute: Enveloped["execute"] }).execute(args as ExecutionArgs),
      subscribe: (args) =>
        (args.rootValue as { subscribe: Enveloped["subscribe"] }).subscribe(args as ExecutionArgs),
      onSubscribe: async (_ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          request: handshake,
          params: payload,
        });
        // A document that does not parse fails its own operation (an Error
        // message), not the whole socket.
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [
            err instanceof GraphQLError ? err : new GraphQLError("The query could not be parsed"),
          ];
        }
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
    } satisfies ServerOptions,
  );
  // Deno's server socket does not report the negotiated subprotocol, so it is
  // taken from the upgrade request (graphql-ws refuses any other).
  let closed: (code?: number, reason?: string) => Promise<void> = () => Promise.resolve();
  socket.onopen = () => {
    closed = server.opened({
      protocol,
      send: (message) => socket.send(message),
      close: (code, reason) => socket.close(code, reason),
      onMessage: (receive) => {
        socket.onmessage = async (event) => {
          const text = String(event.data);
          if (tooLarge(text, maxMessageBytes)) {
            socket.close(4413, `Message is larger than the limit of ${maxMessageBytes} bytes`);
            return;
          }
          try {
            await receive(readable(text));
          } catch {
            socket.close(CloseCode.InternalServerError, "Internal server error");
          }
        };
      },
    }, { socket });
  };
  socket.onclose = (event) => void closed(event.code, event.reason);
  return response;
}

/** Whether `text` takes more than `limit` bytes as UTF-8 (counted only when it may). */
function tooLarge(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  // A UTF-16 code unit takes at most 3 bytes in UTF-8.
  return text.length * 3 > limit && new TextEncoder().encode(text).length > limit;
}

/**
 * A message whose keys are escaped is written again without needless
 * escapes before graphql-ws parses it natively, which can misread an
 * escaped key (shared/runtime/json.ts). Keys that must stay escaped (a quote,
 * a backslash, a control character) are never GraphQL names, so a misread
 * one cannot change what is run. Text that is not JSON is passed on as it is,
 * for graphql-ws to refuse.
 */
function readable(text: string): string {
  if (!hasEscapedKey(text)) return text;
  try {
    return JSON.stringify(parseJson(text));
  } catch {
    return text;
  }
}
