import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import {
  type CallOptions,
  type Client,
  protoMethodName,
  type RpcKind,
  type ServiceContract,
} from "./contract.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import { observeClientCall } from "@shared/observability/mod.ts";
import { toGrpcMetadata } from "./metadata.ts";
import { serviceDefinition } from "./proto.ts";
import { fromServiceError } from "./status.ts";
import type { ServicePolicy } from "./resilience.ts";
import { clientChannel, type ClientTls } from "./tls.ts";
import { parseWith } from "./validate.ts";
import { keepalive, roundRobin, serviceTarget } from "./targets.ts";

/** Default deadlines by kind of call, in milliseconds. */
export interface Deadlines {
  read: number;
  list: number;
  command: number;
}

/** The defaults: single reads 3 s, lists 10 s, commands 5 s. */
export const defaultDeadlines: Deadlines = { read: 3000, list: 10000, command: 5000 };

/** Options of {@link createClient}. */
export interface ClientOptions {
  deadlines?: Partial<Deadlines>;
  /** Retries and circuit breaking, shared by every client of the same service. */
  policy?: ServicePolicy;
  /** TLS (with a client certificate for mutual TLS); default plaintext. */
  tls?: ClientTls;
}

/**
 * Reconnect quickly after a service restarts, instead of grpc-js's default
 * two-minute back-off, and spread calls over the service's replicas. A call
 * lost with a replica's connection (closed, or silent: see keepalive) fails
 * UNAVAILABLE; the service policy retries it, and the retry is picked among
 * the replicas still connected.
 */
const channelOptions: grpc.ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 2000,
  "grpc.enable_retries": 0,
  ...keepalive,
  ...roundRobin,
};

/**
 * A typed client for a contract at `address`: `host:port`, a list of
 * `ip:port` replicas, or `dns:///name:port` (see {@link serviceTarget}).
 * Inputs are validated before they are sent and outputs after they arrive;
 * server errors come back as the AppError the server raised, and an
 * unreachable server as UnavailableError.
 */
export function createClient<S extends ServiceContract>(
  contract: S,
  address: string,
  options: ClientOptions = {},
): Client<S> {
  const Ctor = grpc.makeGenericClientConstructor(
    serviceDefinition(contract.protoFile, contract.service),
    contract.service,
  );
  const channel = clientChannel(address, options.tls);
  const raw = new Ctor(
    serviceTarget(address).target,
    channel.credentials,
    { ...channelOptions, ...channel.options },
  ) as unknown as Record<
    string,
    (
      req: unknown,
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: unknown) => void,
    ) => void
  >;
  const deadlines = { ...defaultDeadlines, ...options.deadlines };
  const proxy: Record<string, unknown> = {
    close: () => (raw as unknown as grpc.Client).close(),
  };
  for (const [key, method] of Object.entries(contract.methods)) {
    const name = protoMethodName(key);
    const kind: RpcKind = method.kind;
    proxy[key] = (input: unknown, callOptions: CallOptions = {}) => {
      const request = parseWith(method.input, input);
      const deadline = Date.now() + (callOptions.timeoutMs ?? deadlines[kind]);
      const attempt = () =>
        observeClientCall(
          { service: contract.service, method: name },
          (traceparent) =>
            new Promise((resolve, reject) => {
              const metadata = toGrpcMetadata({
                ...callOptions.metadata,
                ...(traceparent ? { traceparent } : {}),
              });
              const done = (err: grpc.ServiceError | null, response: unknown) => {
                if (err) reject(fromServiceError(err, contract.service));
                else {
                  try {
                    resolve(method.output.parse(response));
                  } catch (parseErr) {
                    reject(parseErr);
                  }
                }
              };
              try {
                raw[name]!.call(raw, request, metadata, { deadline }, done);
              } catch (err) {
                // A closed client refuses the call at once ("Channel has been shut down"):
                // this process is stopping, and the caller may try another one.
                reject(
                  new UnavailableError(
                    `Service "${contract.service}" is unavailable: this process is closing its connection to it; try again`,
                    {},
                    { cause: err },
                  ),
                );
              }
            }),
        );
      // Reads change nothing; a command is safe to repeat only with a command id.
      const safe = kind !== "command" || Boolean(callOptions.metadata?.commandId);
      return options.policy ? options.policy.execute(attempt, safe) : attempt();
    };
  }
  return proxy as Client<S>;
}

/** Serving status of a gRPC service, by the standard health protocol. */
export type HealthStatus = "SERVING" | "NOT_SERVING" | "UNKNOWN" | "UNREACHABLE";

const rank: Record<HealthStatus, number> = {
  SERVING: 3,
  NOT_SERVING: 2,
  UNKNOWN: 1,
  UNREACHABLE: 0,
};

/**
 * The status of a service from its replicas' statuses: SERVING when at least
 * one serves, since calls go to the replicas that do; otherwise the most
 * telling of the others. No replica at all is UNREACHABLE.
 */
export function combinedHealth(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>(
    (best, s) => rank[s] > rank[best] ? s : best,
    "UNREACHABLE",
  );
}

/**
 * Asks a server's standard health service how it is; never throws. A server
 * that refuses the connection (plaintext against TLS, no client certificate
 * under mutual TLS) is UNREACHABLE. For a list of replicas each is asked, and
 * the answer is their {@link combinedHealth}; behind a DNS name, one replica
 * that answers is asked.
 */
export async function checkHealth(
  address: string,
  timeoutMs = 1000,
  service = "",
  tls?: ClientTls,
): Promise<HealthStatus> {
  const { replicas } = serviceTarget(address);
  if (replicas.length === 1) return await checkOne(address, timeoutMs, service, tls);
  return combinedHealth(
    await Promise.all(replicas.map((replica) => checkOne(replica, timeoutMs, service, tls))),
  );
}

function checkOne(
  address: string,
  timeoutMs: number,
  service: string,
  tls?: ClientTls,
): Promise<HealthStatus> {
  const Ctor = grpc.makeGenericClientConstructor(healthService, "grpc.health.v1.Health");
  const channel = clientChannel(address, tls);
  const client = new Ctor(serviceTarget(address).target, channel.credentials, {
    ...channel.options,
    ...roundRobin,
  }) as unknown as
    & grpc.Client
    & {
      check(
        req: { service: string },
        opts: grpc.CallOptions,
        cb: (err: grpc.ServiceError | null, res: { status: string }) => void,
      ): void;
    };
  return new Promise<HealthStatus>((resolve) => {
    try {
      client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
        client.close();
        if (err) resolve(err.code === grpc.status.NOT_FOUND ? "UNKNOWN" : "UNREACHABLE");
        else resolve((res.status as HealthStatus) ?? "UNKNOWN");
      });
    } catch {
      client.close();
      resolve("UNREACHABLE");
    }
  });
}
