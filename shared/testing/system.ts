import { type RunningSystem, startSystem, type SystemPorts } from "@shared/runtime/system.ts";
import { createTestDatabases, type TestDatabases } from "./db.ts";
import { freeSystemPorts } from "./ports.ts";

/** The system's processes on fresh databases and free ports. */
export interface TestSystem extends RunningSystem {
  db: TestDatabases;
  ports: SystemPorts;
  /** Stops every service, then drops the databases. */
  close(): Promise<void>;
}

/**
 * Starts every service as a process, as `deno task dev` does, on fresh
 * databases and free ports, with their output discarded and `LOG_LEVEL=warn`
 * unless `env` says otherwise.
 */
export async function startTestSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const db = await createTestDatabases();
  const ports = freeSystemPorts();
  try {
    const system = await startSystem({
      eventStoreUrl: db.eventStoreUrl,
      readModelUrl: db.readModelUrl,
      ports,
      output: Deno.env.get("TEST_SYSTEM_OUTPUT") === "inherit" ? "inherit" : "null",
      env: { LOG_LEVEL: "warn", ...env },
    });
    return {
      ...system,
      db,
      ports,
      async close() {
        await system.stop();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
