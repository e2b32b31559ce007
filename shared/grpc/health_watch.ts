import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { combinedHealth, type HealthStatus } from "./client.ts";
import { keepalive, roundRobin, serviceTarget } from "./targets.ts";
import { clientChannel, type ClientTls } from "./tls.ts";

/** A live view of a service's health, from the standard `grpc.health.v1.Health/Watch` stream. */
export interface HealthWatch {
  /** The last status the service reported; UNREACHABLE while the stream is down. */
  readonly status: HealthStatus;
  /** Calls `listener` on every change of status; returns an unsubscribe function. */
  onChange(listener: (status: HealthStatus, previous: HealthStatus) => void): () => void;
  stop(): void;
}

/** Options of {@link watchHealth}. */
export interface HealthWatchOptions {
  /** The service name to watch; default "" (the whole server). */
  service?: string;
  /** Delay before the first reconnection after the stream breaks; doubles up to 1 s. */
  retryMs?: number;
  /** TLS to the server, as the service's other clients use; default plaintext. */
  tls?: ClientTls | undefined;
}

// A process that dies closes its sockets, so the stream breaks at once and
// the status becomes UNREACHABLE. A frozen one keeps them open but answers no
// ping: the stream breaks after the keepalive timeout, and when the process
// answers again the status comes back, and with it a closed circuit.
const channelOptions: grpc.ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
  ...keepalive,
};

type WatchClient = grpc.Client & {
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

/**
 * Follows a service's health over long-lived Watch streams, so a change is
 * known the moment a server reports it (a restart, a database that comes
 * back), not at the next poll. For a list of replicas each one is watched and
 * the status is their {@link combinedHealth}: SERVING while at least one
 * serves. Behind a DNS name the stream goes to one replica that answers, and
 * moves to another when that one goes. Never throws.
 */
export function watchHealth(address: string, options: HealthWatchOptions = {}): HealthWatch {
  const { replicas } = serviceTarget(address);
  if (replicas.length === 1) return watchOne(address, options);
  const watches = replicas.map((replica) => watchOne(replica, options));
  const current = () => combinedHealth(watches.map((w) => w.status));
  const tracked = trackStatus(current());
  for (const watch of watches) watch.onChange(() => tracked.set(current()));
  return {
    get status() {
      return tracked.status;
    },
    onChange: tracked.onChange,
    stop() {
      watches.forEach((w) => w.stop());
      tracked.clear();
    },
  };
}

/** A status with its change listeners, each called once per change; a throwing one is skipped. */
function trackStatus(initial: HealthStatus) {
  const listeners = new Set<(status: HealthStatus, previous: HealthStatus) => void>();
  let status = initial;
  return {
    get status() {
      return status;
    },
    set(next: HealthStatus) {
      if (next === status) return;
      const previous = status;
      status = next;
      for (const listener of [...listeners]) {
        try {
          listener(next, previous);
        } catch { /* a listener's failure is its own */ }
      }
    },
    onChange(listener: (status: HealthStatus, previous: HealthStatus) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      listeners.clear();
    },
  };
}

/**
 * One Watch stream to `address`. A broken stream counts as UNREACHABLE and is
 * opened again with a short back-off.
 */
function watchOne(address: string, options: HealthWatchOptions): HealthWatch {
  const Ctor = grpc.makeGenericClientConstructor(healthService, "grpc.health.v1.Health");
  const channel = clientChannel(address, options.tls);
  const client = new Ctor(
    serviceTarget(address).target,
    channel.credentials,
    { ...channel.options, ...channelOptions, ...roundRobin },
  ) as unknown as WatchClient;
  const tracked = trackStatus("UNKNOWN");
  const firstRetryMs = options.retryMs ?? 100;
  let stopped = false;
  let call: grpc.ClientReadableStream<{ status: string }> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = firstRetryMs;

  const set = (next: HealthStatus) => {
    if (!stopped) tracked.set(next);
  };
  const reopen = () => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      open();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 1000);
  };
  const open = () => {
    if (stopped) return;
    const current = client.watch({ service: options.service ?? "" });
    call = current;
    current.on("data", (message: { status: string }) => {
      retryMs = firstRetryMs;
      const reported = message.status as HealthStatus;
      set(reported === "SERVING" || reported === "NOT_SERVING" ? reported : "UNKNOWN");
    });
    current.on("error", () => {
      if (call !== current) return;
      set("UNREACHABLE");
      reopen();
    });
    current.on("end", () => {
      if (call !== current) return;
      set("UNREACHABLE");
      reopen();
    });
  };
  open();
  return {
    get status() {
      return tracked.status;
    },
    onChange: tracked.onChange,
    stop() {
      stopped = true;
      clearTimeout(timer);
      const current = call;
      call = undefined;
      current?.cancel();
      client.close();
      tracked.clear();
    },
  };
}
