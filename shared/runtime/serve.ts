import type { Logger } from "@shared/log/mod.ts";

/**
 * Keeps a service running until SIGINT or SIGTERM, then stops it once and
 * exits: 0 after a clean stop, 1 when stopping failed.
 */
export function runUntilSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: Deno.Signal) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    const started = performance.now();
    try {
      await stop();
      logger.info("stopped", { ms: Math.round(performance.now() - started) });
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
