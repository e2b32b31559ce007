import { fileURLToPath } from "node:url";
import { RestartBackoff, type RestartBackoffOptions } from "./backoff.ts";
import { SUPERVISOR_PID } from "./serve.ts";

/** Ports of the services; 0 is not allowed here (the processes must know them up front). */
export interface SystemPorts {
  /** GraphQL, /health and /metrics. */
  gateway: number;
  /** Command gRPC. */
  command: number;
  /** Query gRPC. */
  query: number;
  /** Projector /health and /metrics. */
  projector: number;
  /** Saga worker /health and /metrics. */
  saga: number;
  /** Command service /metrics. */
  commandMetrics: number;
  /** Query service /metrics. */
  queryMetrics: number;
  /** Integration-event relay /health and /metrics (it runs only when NATS_URL is set); default 4102. */
  relay?: number;
}

/** The ports `deno task dev` and compose use. */
export const DEFAULT_PORTS: SystemPorts = {
  gateway: 4000,
  command: 50051,
  query: 50052,
  projector: 4100,
  saga: 4101,
  commandMetrics: 9464,
  queryMetrics: 9465,
  relay: 4102,
};

/** The services of a system, in start order. */
export const SERVICES = ["command", "query", "projector", "saga", "gateway"] as const;

/**
 * Services that run only when configured: the integration-event relay, when
 * NATS_URL is set (in `env` or this process's environment). Without it the
 * system needs nothing beyond PostgreSQL.
 */
export const OPTIONAL_SERVICES = ["relay"] as const;

/**
 * The gRPC services, stopped before the rest: they exit without a GOAWAY,
 * which their clients survive, whereas a client that closes its connection
 * first (a gateway or saga worker stopping) can abort them in Deno's
 * `node:http2` (docs/operations.md, "A known runtime fault").
 */
export const GRPC_SERVERS = ["command", "query"] as const;

/** One of the services. */
export type ServiceName = typeof SERVICES[number] | typeof OPTIONAL_SERVICES[number];

/**
 * One process of a system: a service's first replica goes by the service's
 * name, its further ones by the name and their number (`command.2`).
 */
export type ProcessName = ServiceName | `${ServiceName}.${number}`;

/** Options of {@link startSystem}. */
export interface SystemOptions {
  eventStoreUrl: string;
  readModelUrl: string;
  ports: SystemPorts;
  /**
   * Ports of further replicas: each entry starts one more process of every
   * service, on those ports. The gateways balance over every command and
   * query replica (COMMAND_SERVICE_ADDRESS and QUERY_SERVICE_ADDRESS list
   * them all); the projectors and saga workers share their work by leases.
   */
  replicas?: SystemPorts[];
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /**
   * Where the services' logs go: inherited, discarded, or line by line to a
   * function with the process that wrote it; default inherit.
   */
  output?: "inherit" | "null" | ((process: ProcessName, line: string) => void);
  /** How long to wait for every service to be healthy; default 60 s. */
  readyTimeoutMs?: number;
  /**
   * Once the system is up, start a service that dies again (crash, OOM kill,
   * a signal from outside), with back-off; default true. A service stopped
   * through {@link RunningSystem.kill} stays down until `restart()`.
   */
  supervise?: boolean | RestartBackoffOptions;
  /** Where the supervisor's lines go; default console.log with a "[supervisor]" prefix. */
  log?: (line: string) => void;
  /**
   * PEM of the CA that signed the gateway's certificate, trusted by the
   * start-up checks when GATEWAY_TLS_CERT makes the gateway serve HTTPS;
   * default the file in GRPC_TLS_CA (`deno task certs` signs both with one CA).
   */
  gatewayCa?: string;
  /** Extra `deno run` flags by process (`--inspect=…` for `deno task profile`); default none. */
  denoFlags?: Partial<Record<ProcessName, string[]>>;
  /**
   * Starts every process in a session of its own, so that a terminal's Ctrl-C
   * (SIGINT to its whole foreground group) reaches only the caller, which then
   * stops them in order with {@link RunningSystem.stop}. The caller must stop
   * them on every signal that ends it: they outlive it otherwise. Default false.
   */
  detached?: boolean;
}

/** The running service processes. */
export interface RunningSystem {
  /** `http://127.0.0.1:<port>`, or `https://` when GATEWAY_TLS_CERT is set. */
  gatewayUrl: string;
  /** The URL of every gateway replica, {@link gatewayUrl} first. */
  gatewayUrls: string[];
  /** Milliseconds from spawning to all healthy. */
  startupMs: number;
  /** Process ids by process, current: a restarted process has a new one. */
  readonly pids: Readonly<Record<ProcessName, number>>;
  /** Restarts by the supervisor so far, by process. */
  readonly restarts: Readonly<Record<ProcessName, number>>;
  /**
   * Sends SIGTERM, waits up to 10 s, then SIGKILL; resolves, once all have exited, with
   * how each one did. The gRPC services stop first, then their clients (see
   * {@link GRPC_SERVERS}).
   */
  stop(): Promise<Record<ProcessName, Deno.CommandStatus>>;
  /** Kills one process (for failure tests) and waits for it to exit; it is not restarted. */
  kill(process: ProcessName, signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Starts a killed process again, with the same ports and environment; does not wait for health. */
  restart(process: ProcessName): void;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The settings that put each listener of a system on its port. */
export function portSettings(ports: SystemPorts): Record<string, string> {
  return {
    GATEWAY_PORT: String(ports.gateway),
    COMMAND_PORT: String(ports.command),
    QUERY_PORT: String(ports.query),
    PROJECTOR_HTTP_PORT: String(ports.projector),
    SAGA_HTTP_PORT: String(ports.saga),
    COMMAND_METRICS_PORT: String(ports.commandMetrics),
    QUERY_METRICS_PORT: String(ports.queryMetrics),
  };
}

/**
 * The environment of every service: this process's own (inherited, so the
 * token settings JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE,
 * JWT_MAX_LIFETIME_S and JWT_ROLES_CLAIM reach the gateway and the command
 * and query services alike: they must verify tokens the same way, and the
 * saga worker signs its service token with them), then the addresses below
 * (COMMAND_SERVICE_ADDRESS serves the gateway and the saga worker), then
 * `options.env`, also given to every service.
 */
function serviceEnv(options: SystemOptions, ports: SystemPorts): Record<string, string> {
  const all = [options.ports, ...options.replicas ?? []];
  const list = (pick: (p: SystemPorts) => number) =>
    all.map((p) => `127.0.0.1:${pick(p)}`).join(",");
  return {
    EVENT_STORE_URL: options.eventStoreUrl,
    READ_MODEL_URL: options.readModelUrl,
    ...portSettings(ports),
    COMMAND_SERVICE_ADDRESS: list((p) => p.command),
    QUERY_SERVICE_ADDRESS: list((p) => p.query),
    RELAY_HTTP_PORT: String(ports.relay ?? DEFAULT_PORTS.relay),
    ...options.env,
  };
}

async function healthy(url: string, client?: Deno.HttpClient): Promise<boolean> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(2000),
      ...(client ? { client } : {}),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** How a process exited, for a log line: `code 1`, `signal SIGABRT`. */
export function exitDescription(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** Waits until `GET <url>/health` answers 200; throws after `timeoutMs` (default 30 s). */
export async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await healthy(`${url}/health`))) {
    if (Date.now() > deadline) throw new Error(`${url} was not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the command, query, projector, saga and gateway services as separate
 * Deno processes, as they run in production, and waits until all are healthy.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const portSets = [options.ports, ...options.replicas ?? []];
  const env = serviceEnv(options, options.ports);
  // The services inherit this process's environment, then get `env` on top.
  const setting = (name: string) => env[name] || Deno.env.get(name) || undefined;
  const running: ServiceName[] = [...SERVICES];
  if (setting("NATS_URL")) running.splice(running.indexOf("gateway"), 0, "relay");
  const processes = portSets.flatMap((ports, i) =>
    running.map((service) => ({
      name: (i === 0 ? service : `${service}.${i + 1}`) as ProcessName,
      service,
      env: serviceEnv(options, ports),
    }))
  );
  const names = processes.map((p) => p.name);
  const byName = new Map(processes.map((p) => [p.name, p]));
  const https = Boolean(setting("GATEWAY_TLS_CERT"));
  let client: Deno.HttpClient | undefined;
  if (https) {
    const caFile = setting("GRPC_TLS_CA");
    const ca = options.gatewayCa ?? (caFile ? await Deno.readTextFile(caFile) : undefined);
    if (!ca) {
      throw new Error(
        "Cannot start the system: GATEWAY_TLS_CERT is set but no CA to trust it; set GRPC_TLS_CA " +
          "or pass gatewayCa",
      );
    }
    client = Deno.createHttpClient({ caCerts: [ca] });
  }
  const output = options.output ?? "inherit";
  const log = options.log ?? ((line: string) => console.log(`[supervisor] ${line}`));
  const started = performance.now();
  const children = {} as Record<ProcessName, Deno.ChildProcess>;
  const exited = {} as Record<ProcessName, Promise<Deno.CommandStatus>>;
  const backoffOptions = typeof options.supervise === "object" ? options.supervise : {};
  const backoffs = Object.fromEntries(
    names.map((name) => [name, new RestartBackoff(backoffOptions)]),
  ) as Record<ProcessName, RestartBackoff>;
  const held = new Set<ProcessName>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let supervising = false;
  let stopping = false;

  const spawn = (service: ProcessName) => {
    const proc = byName.get(service);
    if (!proc) throw new Error(`no process "${service}" in this system`);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        ...options.denoFlags?.[service] ?? [],
        `services/${proc.service}/main.ts`,
      ],
      cwd: root,
      // Each service stops by itself once this process is gone (see runUntilSignal).
      env: { ...proc.env, [SUPERVISOR_PID]: String(Deno.pid) },
      detached: options.detached ?? false,
      stdin: "null",
      stdout: typeof output === "function" ? "piped" : output,
      stderr: typeof output === "function" ? "piped" : output,
    }).spawn();
    if (typeof output === "function") {
      for (const stream of [child.stdout, child.stderr]) {
        void eachLine(stream, (line) => output(service, line));
      }
    }
    children[service] = child;
    exited[service] = child.status;
    backoffs[service]!.started();
    child.status.then((status) => {
      if (!supervising || stopping || held.has(service) || children[service] !== child) return;
      const delay = backoffs[service]!.next();
      log(
        `service "${service}" (pid ${child.pid}) exited with ${
          exitDescription(status)
        }; restarting in ${delay} ms (restart ${backoffs[service]!.restarts})`,
      );
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopping || held.has(service) || children[service] !== child) return;
        spawn(service);
        log(`service "${service}" started again (pid ${children[service].pid})`);
      }, delay);
      timers.add(timer);
    });
  };
  // The first replicas migrate the databases; the others start once they are up.
  for (const name of names.slice(0, running.length)) spawn(name);
  // SIGTERM to `group`, SIGKILL to what is left of it after 10 s; how each one exited.
  const terminate = async (group: [ProcessName, Deno.ChildProcess][]) => {
    for (const [, child] of group) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const timer = setTimeout(() => {
      for (const [, child] of group) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, 10_000);
    const statuses = await Promise.all(group.map(async ([name]) => [name, await exited[name]]));
    clearTimeout(timer);
    return statuses;
  };
  const stop = async () => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    const all = Object.entries(children) as [ProcessName, Deno.ChildProcess][];
    const isServer = ([name]: [ProcessName, unknown]) =>
      (GRPC_SERVERS as readonly ServiceName[]).includes(byName.get(name)!.service);
    const statuses = [
      ...await terminate(all.filter(isServer)),
      ...await terminate(all.filter((entry) => !isServer(entry))),
    ];
    return Object.fromEntries(statuses) as Record<ProcessName, Deno.CommandStatus>;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const gatewayUrls = portSets.map((p) => `${https ? "https" : "http"}://127.0.0.1:${p.gateway}`);
  const gatewayUrl = gatewayUrls[0]!;
  const checksOf = (ports: SystemPorts, i: number) => [
    { url: `${gatewayUrls[i]}/health`, client },
    { url: `http://127.0.0.1:${ports.projector}/health` },
    { url: `http://127.0.0.1:${ports.saga}/health` },
    ...(running.includes("relay")
      ? [{ url: `http://127.0.0.1:${ports.relay ?? DEFAULT_PORTS.relay}/health` }]
      : []),
  ];
  let failure: string | undefined;
  const watchExits = (started: ProcessName[]) =>
    Promise.race(started.map((name) => exited[name]!.then((status) => ({ name, status }))))
      .then(({ name, status }) => {
        if (!stopping && !supervising) {
          failure ??= `service "${name}" exited with code ${status.code}`;
        }
      });
  const waitHealthy = async (checks: ReturnType<typeof checksOf>) => {
    for (;;) {
      if (failure) return;
      const results = await Promise.all(checks.map((check) => healthy(check.url, check.client)));
      if (results.every(Boolean)) return;
      if (Date.now() > deadline) {
        failure = "services were not healthy within the start-up timeout";
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  watchExits(names.slice(0, running.length));
  await waitHealthy(checksOf(options.ports, 0));
  if (!failure && portSets.length > 1) {
    const rest = names.slice(running.length);
    for (const name of rest) spawn(name);
    watchExits(rest);
    await waitHealthy(portSets.slice(1).flatMap((ports, i) => checksOf(ports, i + 1)));
  }
  client?.close();
  if (failure) {
    await stop();
    throw new Error(`Cannot start the system: ${failure}`);
  }
  supervising = options.supervise !== false;
  const pids = {} as Record<ProcessName, number>;
  const restarts = {} as Record<ProcessName, number>;
  for (const service of names) {
    Object.defineProperty(pids, service, { enumerable: true, get: () => children[service]!.pid });
    Object.defineProperty(restarts, service, {
      enumerable: true,
      get: () => backoffs[service]!.restarts,
    });
  }
  return {
    gatewayUrl,
    gatewayUrls,
    startupMs: Math.round(performance.now() - started),
    pids,
    restarts,
    stop,
    async kill(service, signal = "SIGKILL") {
      held.add(service);
      try {
        children[service]!.kill(signal);
      } catch { /* already gone */ }
      return await exited[service]!;
    },
    restart(service) {
      if (stopping) throw new Error("the system is stopping");
      held.delete(service);
      spawn(service);
    },
  };
}

/** Hands each line of `stream` to `take`, until the stream ends or breaks with its process. */
export async function eachLine(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  take: (line: string) => void,
): Promise<void> {
  let rest = "";
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      for (const line of lines) take(line);
    }
  } catch { /* the pipe broke with the process: what was read stays */ }
  if (rest) take(rest);
}
