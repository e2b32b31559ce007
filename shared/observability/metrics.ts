import { listening } from "@shared/runtime/startup.ts";
import { registry } from "./_registry.ts";
import { startRuntimeMetrics } from "./runtime_metrics.ts";

export { registry };

/** The Prometheus text exposition of every metric of this process. */
export function metricsText(): Promise<string> {
  return registry.metrics();
}

/**
 * A `/metrics` response: the text exposition, with Prometheus's content type.
 * Async because collect callbacks (pool usage) may be.
 */
export async function metricsHandler(): Promise<Response> {
  const body = await registry.metrics();
  return new Response(body, { headers: { "content-type": registry.contentType } });
}

/** A running metrics server. */
export interface MetricsServer {
  port: number;
  /** Stops the server and the runtime sampler it started. */
  stop(): Promise<void>;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Default `0.0.0.0`. */
  hostname?: string;
}

/**
 * Serves `GET /metrics` on `port` (0 picks a free one), for services with no
 * HTTP port of their own, and starts the runtime sampler (event-loop lag).
 */
export function startMetricsServer(
  port: number,
  options: MetricsServerOptions = {},
): MetricsServer {
  const runtime = startRuntimeMetrics();
  const server = listening(options.hostname ?? "0.0.0.0", port, () =>
    Deno.serve(
      { port, hostname: options.hostname ?? "0.0.0.0", onListen: () => {} },
      (request) => {
        const { pathname } = new URL(request.url);
        if (pathname !== "/metrics") return new Response("Not found", { status: 404 });
        if (request.method !== "GET") return new Response("Method not allowed", { status: 405 });
        return metricsHandler();
      },
    ));
  return {
    port: (server.addr as Deno.NetAddr).port,
    async stop() {
      runtime.stop();
      await server.shutdown();
    },
  };
}
