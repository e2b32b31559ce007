import { fileURLToPath } from "node:url";

/** Ports of the services; 0 is not allowed here (the processes must know them up front). */
export interface SystemPorts {
  gateway: number;
  command: number;
  query: number;
  projector: number;
  /** /health and /metrics of the order saga worker; default SAGA_HTTP_PORT, else 4101. */
  saga?: number;
}

/** The saga worker's HTTP port when neither {@link SystemPorts} nor SAGA_HTTP_PORT names one. */
export const DEFAULT_SAGA_HTTP_PORT = 4101;

/** Options of {@link startSystem}. */
export interface SystemOptions {
  eventStoreUrl: string;
  readModelUrl: string;
  ports: SystemPorts;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Where the services' logs go; default inherit. */
  output?: "inherit" | "null";
  /** How long to wait for every service to be healthy; default 60 s. */
  readyTimeoutMs?: number;
}

/** The running service processes. */
export interface RunningSystem {
  gatewayUrl: string;
  /** Milliseconds from spawning to all healthy. */
  startupMs: number;
  /** Process ids by service. */
  pids: Record<keyof SystemPorts, number>;
  /** Sends SIGTERM, waits up to 10 s, then SIGKILL; resolves when all have exited. */
  stop(): Promise<void>;
  /** Kills one service (for failure tests) and waits for it to exit. */
  kill(service: keyof SystemPorts, signal?: Deno.Signal): Promise<void>;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

function serviceEnv(options: SystemOptions): Record<string, string> {
  const { ports } = options;
  return {
    EVENT_STORE_URL: options.eventStoreUrl,
    READ_MODEL_URL: options.readModelUrl,
    GATEWAY_PORT: String(ports.gateway),
    COMMAND_PORT: String(ports.command),
    QUERY_PORT: String(ports.query),
    PROJECTOR_HTTP_PORT: String(ports.projector),
    SAGA_HTTP_PORT: String(
      ports.saga ?? (Deno.env.get("SAGA_HTTP_PORT") || DEFAULT_SAGA_HTTP_PORT),
    ),
    COMMAND_SERVICE_ADDRESS: `127.0.0.1:${ports.command}`,
    QUERY_SERVICE_ADDRESS: `127.0.0.1:${ports.query}`,
    ...options.env,
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts the command, query, projector, saga and gateway services as separate
 * Deno processes, as they run in production, and waits until all are healthy.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const env = serviceEnv(options);
  const output = options.output ?? "inherit";
  const started = performance.now();
  const children = {} as Record<keyof SystemPorts, Deno.ChildProcess>;
  const exited = {} as Record<keyof SystemPorts, Promise<Deno.CommandStatus>>;
  for (const service of ["command", "query", "projector", "saga", "gateway"] as const) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        // graphql-yoga follows request.signal; opt in to Deno's non-legacy abort semantics.
        ...(service === "gateway" ? ["--unstable-no-legacy-abort"] : []),
        `services/${service}/main.ts`,
      ],
      cwd: root,
      env,
      stdin: "null",
      stdout: output,
      stderr: output,
    }).spawn();
    children[service] = child;
    exited[service] = child.status;
  }
  let stopping = false;
  const stop = async () => {
    stopping = true;
    const all = Object.entries(children) as [keyof SystemPorts, Deno.ChildProcess][];
    for (const [, child] of all) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const timer = setTimeout(() => {
      for (const [, child] of all) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, 10_000);
    await Promise.all(all.map(([name]) => exited[name]));
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const gatewayUrl = `http://127.0.0.1:${options.ports.gateway}`;
  const checks = [
    `${gatewayUrl}/health`,
    `http://127.0.0.1:${options.ports.projector}/health`,
    `http://127.0.0.1:${env.SAGA_HTTP_PORT}/health`,
  ];
  const early = Promise.race(
    (Object.keys(exited) as (keyof SystemPorts)[]).map((name) =>
      exited[name].then((status) => ({ name, status }))
    ),
  );
  let failure: string | undefined;
  early.then(({ name, status }) => {
    if (!stopping) failure = `service "${name}" exited with code ${status.code}`;
  });
  for (;;) {
    if (failure) break;
    const results = await Promise.all(checks.map(healthy));
    if (results.every(Boolean)) break;
    if (Date.now() > deadline) {
      failure = "services were not healthy within the start-up timeout";
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (failure) {
    await stop();
    throw new Error(`Cannot start the system: ${failure}`);
  }
  return {
    gatewayUrl,
    startupMs: Math.round(performance.now() - started),
    pids: Object.fromEntries(
      Object.entries(children).map(([k, c]) => [k, c.pid]),
    ) as Record<keyof SystemPorts, number>,
    stop,
    async kill(service, signal = "SIGKILL") {
      try {
        children[service].kill(signal);
      } catch { /* already gone */ }
      await exited[service];
    },
  };
}
