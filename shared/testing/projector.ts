import { fileURLToPath } from "node:url";
import { freePort } from "@shared/db/embedded.ts";
import type { Position } from "@shared/event_store/mod.ts";

/** A projector replica running as its own process, as in production. */
export interface ProjectorProcess {
  /** Port of its /health and /metrics. */
  port: number;
  /** Its /health report. */
  health(): Promise<ProjectorHealth>;
  /** Sends a signal and waits for the exit; the exit code. */
  kill(signal: Deno.Signal): Promise<number>;
}

/** The projector's /health report. */
export interface ProjectorHealth {
  status: string;
  /** The lease holders' application name of this replica. */
  replica: string;
  projections: Record<string, {
    owner: string | null;
    ownedHere: boolean;
    checkpoint: Position | null;
    lagEvents: number | null;
    lagSeconds: number | null;
    deadLetters: number | null;
  }>;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Starts `services/projector/main.ts` as a process on the given databases
 * (extra variables in `env`); logs are shown when PROJECTOR_TEST_LOGS is set.
 * With `waitHealthy` (default true) it resolves once /health answers.
 */
export async function spawnProjector(
  urls: { eventStoreUrl: string; readModelUrl: string },
  env: Record<string, string> = {},
  waitHealthy = true,
): Promise<ProjectorProcess> {
  const port = freePort();
  const output = Deno.env.get("PROJECTOR_TEST_LOGS") ? "inherit" : "null";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "services/projector/main.ts"],
    cwd: root,
    env: {
      EVENT_STORE_URL: urls.eventStoreUrl,
      READ_MODEL_URL: urls.readModelUrl,
      PROJECTOR_HTTP_PORT: String(port),
      LOG_LEVEL: "warn",
      ...env,
    },
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  let exited: number | undefined;
  const status = child.status.then((s) => exited = s.code);
  const health = async (): Promise<ProjectorHealth> => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`/health answered ${res.status}`);
    }
    return await res.json() as ProjectorHealth;
  };
  const process: ProjectorProcess = {
    port,
    health,
    async kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      return await status;
    },
  };
  if (!waitHealthy) return process;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`The projector exited with code ${exited}`);
    try {
      await health();
      return process;
    } catch {
      if (Date.now() > deadline) {
        await process.kill("SIGKILL");
        throw new Error("The projector did not become healthy within 60 s");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
