import { listening } from "@shared/runtime/startup.ts";
import { metricsHandler } from "@shared/observability/mod.ts";

/** Options of {@link serveHealth}. */
export interface HealthServerOptions {
  /** 0 picks a free one. */
  port: number;
  /** Default `0.0.0.0`. */
  hostname?: string;
  /**
   * What /health reports beside `status: "ok"`; when it throws, /health
   * answers 503 with `status: "error"` and the error.
   */
  check(): Promise<Record<string, unknown>>;
}

/** A running health server. */
export interface HealthServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Serves a worker process's /health (see {@link HealthServerOptions.check}),
 * /livez and /metrics (Prometheus text of this process); any other path is
 * 404. /livez answers 200 whenever the process answers at all, asking
 * nothing of its database: what a liveness probe needs, which must restart
 * a hung or frozen process but not every replica during a database outage.
 */
export function serveHealth(options: HealthServerOptions): HealthServer {
  const server = listening(options.hostname ?? "0.0.0.0", options.port, () =>
    Deno.serve(
      { port: options.port, hostname: options.hostname ?? "0.0.0.0", onListen: () => {} },
      async (req) => {
        const { pathname } = new URL(req.url);
        if (pathname === "/metrics") return await metricsHandler();
        if (pathname === "/livez") return Response.json({ status: "alive" });
        if (pathname !== "/health") return new Response("Not found", { status: 404 });
        try {
          return Response.json({ status: "ok", ...(await options.check()) });
        } catch (err) {
          return Response.json({ status: "error", error: String(err) }, { status: 503 });
        }
      },
    ));
  return {
    port: (server.addr as Deno.NetAddr).port,
    stop: () => server.shutdown(),
  };
}
