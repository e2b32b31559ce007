import {
  type ProcessName,
  type RunningSystem,
  startSystem,
  type SystemPorts,
} from "@shared/runtime/system.ts";
import { createTestDatabases, type TestDatabases } from "./db.ts";
import { freeSystemPorts } from "./ports.ts";

/** The system's processes on fresh databases and free ports. */
export interface TestSystem extends RunningSystem {
  db: TestDatabases;
  ports: SystemPorts;
  /** Ports of the further replicas, one set each. */
  replicaPorts: SystemPorts[];
  /**
   * The last lines (up to 300) each process wrote, restarts included: what a
   * failing test can show. Empty when TEST_SYSTEM_OUTPUT=inherit sends them
   * to the terminal instead.
   */
  logs(process: ProcessName): string[];
  /** Stops every service, then drops the databases. */
  close(): Promise<void>;
}

const KEPT_LINES = 300;

/** The last warnings and errors of some processes of a test system, for a failure message. */
export function warningsOf(system: TestSystem, processes: readonly ProcessName[]): string {
  return processes.map((process) =>
    `\n--- ${process}, last warnings and errors:\n` +
    system.logs(process).filter((l) => /"level":"(warn|error)"/.test(l)).slice(-30).join("\n")
  ).join("");
}

/** Options of {@link startTestSystem}. */
export interface TestSystemOptions {
  /** Processes of every service; default 1 (see {@link REPLICA_POOLS}). */
  replicas?: number;
}

/**
 * Pool sizes of a system with replicas, unless `env` sets them: its ten or
 * more processes share one PostgreSQL server with the test's own pools.
 */
const REPLICA_POOLS = {
  EVENT_STORE_POOL_SIZE: "4",
  READ_MODEL_POOL_SIZE: "4",
  SAGA_POOL_SIZE: "3",
};

/** `count` sets of system ports, no port in two of them. */
function distinctPortSets(count: number): SystemPorts[] {
  const sets: SystemPorts[] = [];
  const taken = new Set<number>();
  while (sets.length < count) {
    const ports = freeSystemPorts();
    const values = Object.values(ports);
    if (values.some((p) => taken.has(p))) continue;
    values.forEach((p) => taken.add(p));
    sets.push(ports);
  }
  return sets;
}

/**
 * Starts every service as a process, as `deno task dev` does, on fresh
 * databases and free ports, with their output kept (see {@link TestSystem.logs})
 * and `LOG_LEVEL=warn` unless `env` says otherwise.
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  options: TestSystemOptions = {},
): Promise<TestSystem> {
  const db = await createTestDatabases();
  const [ports, ...replicaPorts] = distinctPortSets(Math.max(1, options.replicas ?? 1)) as [
    SystemPorts,
    ...SystemPorts[],
  ];
  const logs = new Map<ProcessName, string[]>();
  try {
    const system = await startSystem({
      eventStoreUrl: db.eventStoreUrl,
      readModelUrl: db.readModelUrl,
      ports,
      ...(replicaPorts.length > 0 ? { replicas: replicaPorts } : {}),
      output: Deno.env.get("TEST_SYSTEM_OUTPUT") === "inherit" ? "inherit" : (process, line) => {
        const kept = logs.get(process) ?? [];
        kept.push(line);
        if (kept.length > KEPT_LINES) kept.shift();
        logs.set(process, kept);
      },
      env: { LOG_LEVEL: "warn", ...(replicaPorts.length > 0 ? REPLICA_POOLS : {}), ...env },
    });
    return {
      ...system,
      db,
      ports,
      replicaPorts,
      logs: (process) => [...logs.get(process) ?? []],
      async close() {
        await system.stop();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    // What the processes said before the start failed: a busy port, a bad setting.
    const said = [...logs].map(([process, lines]) =>
      `\n--- ${process}, last lines:\n${lines.slice(-10).join("\n")}`
    ).join("");
    if (said && err instanceof Error) err.message += said;
    throw err;
  }
}
