import type { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { AppError } from "@shared/errors/mod.ts";
import { injectTraceparent, observeServerCall } from "@shared/observability/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import {
  type CallContext,
  type Handlers,
  protoMethodName,
  type ServiceContract,
} from "./contract.ts";
import type { CallGuard } from "./guard.ts";
import { AUTHORIZATION_KEY, fromGrpcMetadata } from "./metadata.ts";
import { loadProto, serviceDefinition } from "./proto.ts";
import { asAppError, toServiceError } from "./status.ts";
import { serverCredentials, type ServerTls } from "./tls.ts";
import { parseRequest, RefusedRequest } from "./validate.ts";
import { checkWire, resolverOf } from "./wire.ts";

let healthPackage: protoLoader.PackageDefinition | undefined;

/** The standard health service's definition, so reflection lists it too. */
function healthDefinition(): protoLoader.PackageDefinition {
  healthPackage ??= protoLoader.loadSync(healthProtoPath);
  return healthPackage;
}

/** A contract with the handlers that serve it. */
export interface ServiceBinding<S extends ServiceContract = ServiceContract> {
  contract: S;
  handlers: Handlers<S>;
}

/** What a self-checking handler gets: the call, its caller not yet verified. */
export interface UncheckedCall extends CallContext {
  /** The call's `authorization` metadata values, for the handler to verify. */
  authorization: readonly unknown[];
}

/**
 * A contract whose handlers check each call themselves (the command
 * pipeline of shared/application): they get the request as decoded (check
 * it with `parseRequest`) and the caller's unverified `authorization`, and
 * run the guard and the validation as steps of their own, so a command
 * passes the same checks whoever sends it. The server still refuses to
 * start when one of its RPCs has no access rule.
 */
export interface SelfCheckedBinding {
  contract: ServiceContract;
  selfChecked: Record<string, (request: unknown, call: UncheckedCall) => Promise<unknown>>;
}

/** Pairs a contract with its handlers, checking the handler types. */
export function bind<S extends ServiceContract>(
  contract: S,
  handlers: Handlers<S>,
): ServiceBinding<S> {
  return { contract, handlers };
}

/**
 * The health service name a liveness probe asks (`grpc: { service: liveness }`
 * in Kubernetes): SERVING for as long as the process answers at all. The
 * overall status (`""`) turns NOT_SERVING while the database is unreachable
 * (reportDatabaseHealth), which takes a replica out of rotation; restarting
 * it would not bring the database back, so liveness does not follow it. A
 * frozen process answers neither, and is restarted.
 */
export const LIVENESS_SERVICE = "liveness";

/** A running gRPC server. */
export interface GrpcServer {
  port: number;
  /** The standard health service; set statuses here. */
  health: HealthImplementation;
  /**
   * Stops accepting calls and waits for running ones (forces after `graceMs`),
   * then closes every connection with an HTTP/2 GOAWAY.
   */
  shutdown(graceMs?: number): Promise<void>;
  /**
   * For a process about to exit: reports NOT_SERVING (clients that watch
   * health turn away; liveness stays SERVING: the process is stopping on its
   * own, and nothing should restart it meanwhile) and waits, up to `graceMs`, until no unary call is
   * running, but sends no GOAWAY, and does not even close the listener
   * (grpc-js's unbind does send one): the connections close as the process
   * exits. A GOAWAY can abort a Deno client's process (an nghttp2 assertion
   * in its node:http2, docs/operations.md); a closed connection does not.
   */
  drain(graceMs?: number): Promise<void>;
}

/**
 * The service definition with request decoders that check the bytes first
 * (see `checkWire`): a request they refuse, or one the decoder throws on,
 * reaches the handler as a {@link RefusedRequest} instead of an INTERNAL
 * status from grpc-js.
 */
function strictDefinition(protoFile: string, service: string): grpc.ServiceDefinition {
  const definitions = loadProto(protoFile) as Record<string, unknown>;
  const resolve = resolverOf(definitions);
  const strict: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(serviceDefinition(protoFile, service))) {
    const requestType = (method as { requestType?: { type?: unknown } }).requestType;
    const typeName = (requestType?.type as { name?: string } | undefined)?.name;
    const request = typeName ? resolve(typeName, service) : undefined;
    const decode = method.requestDeserialize;
    strict[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          const issue = request ? checkWire(bytes, request.type, request.name, resolve) : null;
          return issue ? new RefusedRequest(issue) : decode(bytes);
        } catch {
          return new RefusedRequest({
            field: "input",
            message: "is not a valid protobuf message",
          });
        }
      },
    };
  }
  return strict;
}

/** Sends an error status; never throws, falling back to a bare INTERNAL status. */
function sendError(callback: grpc.sendUnaryData<unknown>, err: unknown): void {
  try {
    callback(toServiceError(err) as grpc.ServiceError);
  } catch {
    try {
      callback({ code: grpc.status.INTERNAL, details: "Internal error" } as grpc.ServiceError);
    } catch {
      // The call is gone; nothing is left to tell.
    }
  }
}

function unaryHandler(
  binding: ServiceBinding | SelfCheckedBinding,
  key: string,
  logger: Logger,
  guard: CallGuard | undefined,
): grpc.handleUnaryCall<unknown, unknown> {
  const method = binding.contract.methods[key]!;
  const selfChecked = "selfChecked" in binding ? binding.selfChecked[key] : undefined;
  const handler = "handlers" in binding
    ? (binding.handlers as Record<string, Handlers<ServiceContract>[string]>)[key]
    : undefined;
  const rpcName = `${binding.contract.service}/${protoMethodName(key)}`;
  return (call, callback) => {
    const controller = new AbortController();
    // grpc-js reports "cancelled" when any call's stream closes, answered or not; aborting
    // after the answer would only build a DOMException (a stack trace) per call.
    let answered = false;
    call.on("cancelled", () => {
      if (!answered) controller.abort();
    });
    const context: CallContext = {
      metadata: fromGrpcMetadata(call.metadata),
      signal: controller.signal,
    };
    const deadline = Number(call.getDeadline());
    if (Number.isFinite(deadline)) context.deadline = deadline;
    const service = binding.contract.service;
    const methodName = protoMethodName(key);
    observeServerCall(
      { service, method: methodName, traceparent: context.metadata.traceparent },
      async () => {
        // Handlers copy the metadata into events: let them point at this server span.
        const traceparent = injectTraceparent();
        const traced: CallContext = traceparent
          ? { ...context, metadata: { ...context.metadata, traceparent } }
          : { ...context };
        const request: unknown = call.request;
        const authorization = call.metadata.get(AUTHORIZATION_KEY);
        if (selfChecked) return await selfChecked(request, { ...traced, authorization });
        if (!handler) throw new TypeError(`No handler for ${rpcName}`);
        // The caller is known and let through before its input is even looked at.
        const principal = guard ? await guard.authorize(rpcName, authorization) : undefined;
        if (principal) traced.principal = principal;
        return await handler(parseRequest(method.input, request), traced);
      },
    )
      .then(
        (output) => {
          answered = true;
          callback(null, output);
        },
        (err: unknown) => {
          answered = true;
          try {
            const app = asAppError(err);
            if (!(err instanceof AppError) || err.code === "INTERNAL") {
              logger.error("rpc failed", {
                rpc: rpcName,
                code: app.code,
                error: err,
                ...context.metadata,
              });
            } else {
              logger.debug("rpc refused", { rpc: rpcName, code: err.code, message: err.message });
            }
          } catch {
            // Logging must not keep the caller from its answer.
          }
          sendError(callback, err);
        },
      )
      .catch((err: unknown) => sendError(callback, err));
  };
}

/** Where and how a gRPC server listens. */
export interface GrpcServerOptions {
  /** Default `127.0.0.1`: reachable from this machine only unless a deployment opens it. */
  host?: string;
  /** 0 picks a free one. */
  port: number;
  /** TLS (and optionally mutual TLS); default plaintext. */
  tls?: ServerTls;
  logger: Logger;
  /** Authorizes every call before its handler runs (the command and query services). */
  guard?: CallGuard;
}

/**
 * Starts a gRPC server that serves the given contracts, the standard health
 * service and server reflection, on `host:port` (port 0 picks a free one).
 * With a `guard`, every call is authorized by it before its handler runs
 * (a {@link SelfCheckedBinding}'s handlers run that check themselves), and
 * the server refuses to start if any RPC it would serve has no rule.
 */
export async function startGrpcServer(
  bindings: (ServiceBinding | SelfCheckedBinding)[],
  options: GrpcServerOptions,
): Promise<GrpcServer> {
  const { guard } = options;
  if (guard) {
    const rpcs = bindings.flatMap((b) =>
      Object.keys(b.contract.methods).map((k) => `${b.contract.service}/${protoMethodName(k)}`)
    );
    const uncovered = guard.uncovered(rpcs);
    if (uncovered.length > 0) {
      throw new Error(`No access rule for ${uncovered.map((r) => `"${r}"`).join(", ")}`);
    }
  }
  const server = new grpc.Server();
  // Unary calls not yet answered, for drain(); `idle` wakes it when the last one answers.
  let running = 0;
  let idle = () => {};
  const counted = (
    handler: grpc.handleUnaryCall<unknown, unknown>,
  ): grpc.handleUnaryCall<unknown, unknown> =>
  (call, callback) => {
    running++;
    let done = false;
    handler(call, (...args: Parameters<typeof callback>) => {
      if (!done) {
        done = true;
        if (--running === 0) idle();
      }
      callback(...args);
    });
  };
  const statuses: Record<string, "SERVING"> = { "": "SERVING" };
  const protoFiles = new Set<string>();
  for (const binding of bindings) {
    const { service, protoFile, methods } = binding.contract;
    protoFiles.add(protoFile);
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const key of Object.keys(methods)) {
      implementation[protoMethodName(key)] = counted(
        unaryHandler(binding, key, options.logger, guard),
      );
    }
    server.addService(strictDefinition(protoFile, service), implementation);
    statuses[service] = "SERVING";
  }
  const health = new HealthImplementation({ ...statuses, [LIVENESS_SERVICE]: "SERVING" });
  health.addToServer(server);
  const definitions = [...protoFiles].map(loadProto);
  new ReflectionService(Object.assign({}, ...definitions, healthDefinition()))
    .addToServer(server);

  const address = `${options.host ?? "127.0.0.1"}:${options.port}`;
  // grpc-js logs a failed bind on its own; the error below says it all, in one line.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(options.tls), (err, bound) => {
      if (err) reject(new Error(`Cannot listen on ${address}: ${err.message}`, { cause: err }));
      else resolve(bound);
    })
  ).finally(() => grpc.setLogVerbosity(configuredVerbosity()));
  return {
    port,
    health,
    shutdown: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    async drain(graceMs = 5000) {
      for (const service of Object.keys(statuses)) health.setStatus(service, "NOT_SERVING");
      if (running === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        idle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    },
  };
}

/**
 * Wraps every handler of a binding, e.g. to time and count its calls:
 * `around(method, call)` must run `call` and return its result.
 */
export function wrapBinding(
  binding: ServiceBinding,
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
): ServiceBinding {
  const handlers = binding.handlers as Record<string, Handlers<ServiceContract>[string]>;
  const wrapped: Record<string, Handlers<ServiceContract>[string]> = {};
  for (const [key, handler] of Object.entries(handlers)) {
    wrapped[key] = (input, context) =>
      around(protoMethodName(key), () => handler(input, context)) as ReturnType<typeof handler>;
  }
  return { contract: binding.contract, handlers: wrapped as Handlers<ServiceContract> };
}

/** grpc-js's log verbosity as GRPC_VERBOSITY sets it (its own default: ERROR). */
function configuredVerbosity(): grpc.logVerbosity {
  const named = Deno.env.get("GRPC_VERBOSITY")?.toUpperCase();
  return named === "DEBUG" || named === "INFO" || named === "NONE"
    ? grpc.logVerbosity[named]
    : grpc.logVerbosity.ERROR;
}
