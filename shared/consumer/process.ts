import { ORIGIN, type Position } from "@shared/event_store/mod.ts";
import { type HealthServer, serveHealth } from "./http.ts";
import { startWakeup, type Wakeup } from "./wakeup.ts";
import {
  type Consumer,
  type ConsumerOptions,
  type ConsumerState,
  startConsumer,
} from "./worker.ts";

/** Options of {@link runConsumerProcess}: a consumer's, and its process's wake-up and /health. */
export interface ConsumerProcessOptions extends Omit<ConsumerOptions, "wakeup"> {
  /** Application name of the NOTIFY listener's session. */
  wakeupName: string;
  /** Port of /health and /metrics; none when undefined. */
  httpPort?: number | undefined;
  /** Default 0.0.0.0. */
  hostname?: string | undefined;
  /** What /health reports besides the consumer's own state (called on every check). */
  health?: (state: ConsumerState) => Record<string, unknown>;
}

/** A process's one consumer, its wake-up and its /health server. */
export interface ConsumerProcess {
  readonly consumer: Consumer;
  /** Port of /health, when it serves one. */
  readonly httpPort: number | undefined;
  /** The consumer's checkpoint (ORIGIN before the first). */
  readonly position: Position;
  /** Stops the consumer, then /health, then the wake-up; waits for each. */
  stop(): Promise<void>;
}

/**
 * Starts what a worker process (the saga worker, the integration relay)
 * runs around its one consumer: the NOTIFY wake-up, the consumer itself
 * (waiting for its first try of the lease) and, with `httpPort`, a /health
 * that checks the database and reports ownership, position and lag. When a
 * part fails to start, the parts already started are stopped before the
 * error is thrown.
 */
export async function runConsumerProcess(
  options: ConsumerProcessOptions,
): Promise<ConsumerProcess> {
  const { wakeupName, httpPort, hostname, health, ...consumerOptions } = options;
  let wakeup: Wakeup | undefined;
  let consumer: Consumer | undefined;
  let http: HealthServer | undefined;
  try {
    wakeup = startWakeup(options.databaseUrl, {
      logger: options.logger,
      applicationName: wakeupName,
    });
    consumer = startConsumer({ ...consumerOptions, wakeup });
    await consumer.ready;
    if (httpPort !== undefined) {
      const active = consumer;
      const listening = wakeup;
      http = serveHealth({
        port: httpPort,
        hostname: hostname ?? "0.0.0.0",
        check: async () => {
          await options.sql`SELECT 1`;
          const s = active.state;
          return {
            ownedHere: s.owned,
            listening: listening.listening,
            position: s.checkpoint ?? ORIGIN,
            lagEvents: s.lagEvents ?? null,
            lagSeconds: s.lagSeconds ?? null,
            ...health?.(s),
          };
        },
      });
    }
  } catch (err) {
    await consumer?.stop();
    await wakeup?.stop();
    throw err;
  }
  const active = consumer;
  const listening = wakeup;
  let stopped: Promise<void> | undefined;
  return {
    consumer: active,
    httpPort: http?.port,
    get position() {
      return active.state.checkpoint ?? ORIGIN;
    },
    stop() {
      stopped ??= (async () => {
        await active.stop();
        await http?.stop();
        await listening.stop();
      })();
      return stopped;
    },
  };
}
