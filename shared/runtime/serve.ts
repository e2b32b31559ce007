import type { Logger } from "@shared/log/mod.ts";

/**
 * How long a stop may take before the process exits anyway: under the 10 s
 * after which `deno task dev` (and many supervisors) send SIGKILL, above the
 * command and query services' 5 s drain.
 */
export const STOP_LIMIT_MS = 8000;

/**
 * The variable in which a supervisor (`startSystem`, and so `deno task dev`)
 * gives each service it starts its own process id.
 */
export const SUPERVISOR_PID = "SUPERVISOR_PID";

/** How often a supervised service checks that its supervisor still runs. */
const SUPERVISOR_CHECK_MS = 1000;

/**
 * Keeps a service running until SIGINT or SIGTERM, then stops it once and
 * exits: 0 after a clean stop, 1 when stopping failed. A stop still running
 * after `limitMs` (its database gone, say, so a batch in flight never
 * answers) is cut short with a warning and exit code 0: every service is
 * safe to stop at any moment (a transaction in flight rolls back, a lease
 * ends with its connection), and a supervisor's SIGKILL would say nothing.
 *
 * A service started by a supervisor (SUPERVISOR_PID set) also stops the same
 * way once that supervisor is gone: killed with SIGKILL, it could not stop
 * its services, which would hold their ports and databases until found by
 * hand.
 */
export function runUntilSignal(
  logger: Logger,
  stop: () => Promise<void>,
  limitMs = STOP_LIMIT_MS,
): void {
  let stopping = false;
  const onSignal = async (signal: Deno.Signal | "supervisor gone") => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), limitMs)
    );
    try {
      const outcome = await Promise.race([stop().then(() => "done" as const), late]);
      clearTimeout(timer);
      if (outcome === "late") {
        logger.warn("stop cut short: still running after its limit; exiting", { ms: limitMs });
      } else {
        logger.info("stopped", { ms: Math.round(performance.now() - started) });
      }
      Deno.exit(0);
    } catch (err) {
      logger.error("stop failed", { error: err });
      Deno.exit(1);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => onSignal(signal));
  }
  const supervisor = Number(Deno.env.get(SUPERVISOR_PID));
  if (Number.isSafeInteger(supervisor) && supervisor > 0) {
    // An orphan is adopted by init or a subreaper: its parent changes.
    const check = setInterval(() => {
      if (Deno.ppid === supervisor) return;
      clearInterval(check);
      logger.warn("the supervisor that started this process is gone; stopping", {
        supervisorPid: supervisor,
      });
      void onSignal("supervisor gone");
    }, SUPERVISOR_CHECK_MS);
    Deno.unrefTimer(check);
  }
}
