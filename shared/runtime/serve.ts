import type { Logger } from "@shared/log/mod.ts";

/**
 * How long a stop may take before the process exits anyway: under the 10 s
 * after which `deno task dev` (and many supervisors) send SIGKILL, above the
 * command and query services' 5 s drain.
 */
export const STOP_LIMIT_MS = 8000;

/**
 * Keeps a service running until SIGINT or SIGTERM, then stops it once and
 * exits: 0 after a clean stop, 1 when stopping failed. A stop still running
 * after `limitMs` (its database gone, say, so a batch in flight never
 * answers) is cut short with a warning and exit code 0: every service is
 * safe to stop at any moment (a transaction in flight rolls back, a lease
 * ends with its connection), and a supervisor's SIGKILL would say nothing.
 */
export function runUntilSignal(
  logger: Logger,
  stop: () => Promise<void>,
  limitMs = STOP_LIMIT_MS,
): void {
  let stopping = false;
  const onSignal = async (signal: Deno.Signal) => {
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
}
