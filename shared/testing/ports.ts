import { freePort } from "@shared/db/embedded.ts";
import { eachLine, portSettings, type SystemPorts } from "@shared/runtime/system.ts";

/** Distinct free ports for every listener of a system under test. */
export function freeSystemPorts(): SystemPorts {
  const ports = new Set<number>();
  while (ports.size < 7) ports.add(freePort());
  const [gateway, command, query, projector, saga, commandMetrics, queryMetrics] = [...ports] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { gateway, command, query, projector, saga, commandMetrics, queryMetrics };
}

/**
 * The environment of a `deno task dev` under test: its own data folder and
 * ports, and no database URLs, so it starts its embedded PostgreSQL.
 */
export function devEnv(ports: SystemPorts, dataDir: string): Record<string, string> {
  return {
    DEV_DATA_DIR: dataDir,
    ...portSettings(ports),
    EVENT_STORE_URL: "",
    READ_MODEL_URL: "",
    DATABASE_URL: "",
  };
}

/** A `deno task dev` under test and every line it has printed so far. */
export interface RunningDev {
  process: Deno.ChildProcess;
  /** Its standard output, line by line, kept up to date while it runs. */
  lines: string[];
  /** Its standard error the same way, when started with `stderr: "piped"` (empty otherwise). */
  errors: string[];
}

/**
 * Starts `deno task dev` (or scripts/dev.ts) in the repository with `env` and
 * resolves once it prints the GraphQL URL; its output keeps being read, so
 * it never blocks on a full pipe. `stderr` "inherit" shows its logs, "piped"
 * keeps them in `errors` (the services log warnings and errors there).
 */
export async function startDev(
  env: Record<string, string>,
  options: {
    stderr?: "inherit" | "null" | "piped";
    viaTask?: boolean;
    /** In a session of its own, as in a terminal: `Deno.kill(-pid, …)` signals its whole group. */
    session?: boolean;
  } = {},
): Promise<RunningDev> {
  const process = new Deno.Command(Deno.execPath(), {
    // `deno task dev` itself, or the script it runs.
    args: options.viaTask ? ["task", "dev"] : ["run", "--allow-all", "scripts/dev.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
    env,
    clearEnv: false,
    detached: options.session ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const lines: string[] = [];
  const errors: string[] = [];
  if (options.stderr === "piped") void eachLine(process.stderr, (line) => errors.push(line));
  let ready!: (up: boolean) => void;
  const up = new Promise<boolean>((resolve) => ready = resolve);
  eachLine(process.stdout, (line) => {
    lines.push(line);
    if (line.includes("GraphQL: http")) ready(true);
  }).then(() => ready(false));
  if (!(await up)) throw new Error(`dev exited before it was ready:\n${lines.join("\n")}`);
  return { process, lines, errors };
}
