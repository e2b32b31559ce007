import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import {
  type CallOptions,
  type Client,
  protoMethodName,
  type RpcKind,
  type ServiceContract,
} from "./contract.ts";
import { observeClientCall } from "@shared/observability/mod.ts";
import { toGrpcMetadata } from "./metadata.ts";
import { serviceDefinition } from "./proto.ts";
import { fromServiceError } from "./status.ts";
import type { ServicePolicy } from "./resilience.ts";
import { clientChannel, type ClientTls } from "./tls.ts";
import { parseWith } from "./validate.ts";

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

/** Reconnect quickly after a service restarts, instead of grpc-js's default two-minute back-off. */
const channelOptions: grpc.ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 2000,
  "grpc.enable_retries": 0,
};

/**
 * A typed client for a contract at `host:port`. Inputs are validated before
 * they are sent and outputs after they arrive; server errors come back as the
 * AppError the server raised, and an unreachable server as UnavailableError.
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
    address,
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
              raw[name]!.call(raw, request, metadata, { deadline }, (err, response) => {
                if (err) reject(fromServiceError(err, contract.service));
                else {
                  try {
                    resolve(method.output.parse(response));
                  } catch (parseErr) {
                    reject(parseErr);
                  }
                }
              });
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

/**
 * Asks a server's standard health service how it is; never throws. A server
 * that refuses the connection (plaintext against TLS, no client certificate
 * under mutual TLS) is UNREACHABLE.
 */
export function checkHealth(
  address: string,
  timeoutMs = 1000,
  service = "",
  tls?: ClientTls,
): Promise<HealthStatus> {
  const Ctor = grpc.makeGenericClientConstructor(healthService, "grpc.health.v1.Health");
  const channel = clientChannel(address, tls);
  const client = new Ctor(address, channel.credentials, channel.options) as unknown as
    & grpc.Client
    & {
      check(
        req: { service: string },
        opts: grpc.CallOptions,
        cb: (err: grpc.ServiceError | null, res: { status: string }) => void,
      ): void;
    };
  return new Promise<HealthStatus>((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      if (err) resolve(err.code === grpc.status.NOT_FOUND ? "UNKNOWN" : "UNREACHABLE");
      else resolve((res.status as HealthStatus) ?? "UNKNOWN");
    });
  });
}
