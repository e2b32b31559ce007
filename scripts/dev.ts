/**
 * `deno task dev`: runs the whole system locally.
 *
 * Without database variables it starts an embedded PostgreSQL (data kept in
 * `.data/postgres`, on a free port), creates the event store and read model
 * databases, migrates them and starts the services as separate processes.
 * With NATS_URL set it also starts the integration-event relay
 * (services/relay), which publishes to NATS JetStream. With EVENT_STORE_URL and READ_MODEL_URL (or one DATABASE_URL) it
 * uses those servers instead. Ctrl-C or SIGTERM stops everything.
 *
 * It also supervises: a service that dies is started again with back-off
 * (shared/runtime/system.ts), and so is the embedded PostgreSQL, on the same
 * port and data, so the services' pools reconnect to it. Each restart is
 * logged.
 */
import { z } from "zod";
import { loadConfig, portVar, postgresUrlVar } from "@shared/config/mod.ts";
import { withDatabase } from "@shared/db/connect.ts";
import {
  type EmbeddedServer,
  EmbeddedStartError,
  isStrayEmbeddedServer,
  startEmbeddedPostgres,
  stopStrayEmbeddedServer,
} from "@shared/db/embedded.ts";
import { migrateDatabase } from "@shared/db/migrate.ts";
import { RestartBackoff } from "@shared/runtime/backoff.ts";
import {
  DEFAULT_PORTS,
  exitDescription,
  type RunningSystem,
  startSystem,
} from "@shared/runtime/system.ts";

const config = loadConfig(
  z.object({
    EVENT_STORE_URL: postgresUrlVar.optional(),
    READ_MODEL_URL: postgresUrlVar.optional(),
    DATABASE_URL: postgresUrlVar.optional(),
    GATEWAY_PORT: portVar.default(4000),
    COMMAND_PORT: portVar.default(50051),
    QUERY_PORT: portVar.default(50052),
    PROJECTOR_HTTP_PORT: portVar.default(DEFAULT_PORTS.projector),
    SAGA_HTTP_PORT: portVar.default(DEFAULT_PORTS.saga),
    COMMAND_METRICS_PORT: portVar.default(DEFAULT_PORTS.commandMetrics),
    QUERY_METRICS_PORT: portVar.default(DEFAULT_PORTS.queryMetrics),
    RELAY_HTTP_PORT: portVar.default(DEFAULT_PORTS.relay ?? 4102),
    DEV_DATA_DIR: z.string().default(".data/postgres"),
  }).refine((c) => Boolean(c.EVENT_STORE_URL) === Boolean(c.READ_MODEL_URL), {
    message: "set both EVENT_STORE_URL and READ_MODEL_URL, or neither",
    path: ["READ_MODEL_URL"],
  }),
);

const ports = {
  gateway: config.GATEWAY_PORT,
  command: config.COMMAND_PORT,
  query: config.QUERY_PORT,
  projector: config.PROJECTOR_HTTP_PORT,
  saga: config.SAGA_HTTP_PORT,
  commandMetrics: config.COMMAND_METRICS_PORT,
  queryMetrics: config.QUERY_METRICS_PORT,
  relay: config.RELAY_HTTP_PORT,
};
const say = (line: string) => console.log(`[dev] ${line}`);
const started = performance.now();
let embedded: EmbeddedServer | undefined;
let system: RunningSystem | undefined;
let stopping = false;
/** Settles when the supervisor's restart of the embedded server in flight, if any, has. */
let restarting: Promise<unknown> = Promise.resolve();

/**
 * Stops the services, then the embedded server, then exits. Only the first
 * call stops: a later one (a second Ctrl-C) waits for it, since exiting
 * early would leave the embedded server running with no one to stop it.
 */
async function shutdown(code: number, why: string): Promise<void> {
  if (stopping) {
    say(`${why}: still stopping…`);
    return;
  }
  stopping = true;
  say(`stopping (${why})…`);
  const exits: Record<string, Deno.CommandStatus> = (await system?.stop()) ?? {};
  for (const [name, status] of Object.entries(exits)) {
    if (!status.success) {
      say(`service "${name}" exited with ${exitDescription(status)} while stopping`);
    }
  }
  // A restart of the embedded server may be under way: stop what it starts, too.
  await restarting;
  await embedded?.stop();
  Deno.exit(code);
}
// SIGHUP too (the terminal closed): the services, in sessions of their own, get no signal of it.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => void shutdown(0, signal));
}

/**
 * Starts the embedded PostgreSQL again whenever it exits on its own. A first
 * attempt can fail while the old server's backends are still exiting; it is
 * retried with back-off.
 */
function superviseEmbedded(server: EmbeddedServer, dataDir: string): void {
  const backoff = new RestartBackoff();
  const onExit = async (dead: EmbeddedServer) => {
    await dead.exited;
    while (!stopping) {
      const delay = backoff.next();
      say(
        `embedded PostgreSQL (pid ${dead.pid}) exited; restarting in ${delay} ms (restart ${backoff.restarts})`,
      );
      await new Promise((r) => setTimeout(r, delay));
      if (stopping) return;
      try {
        const starting = startEmbeddedPostgres({ dataDir, port: dead.port, ownSession: true }).then(
          (next) => {
            // Set before `restarting` settles, so a shutdown waiting on it stops this server.
            embedded = next;
            return next;
          },
        );
        restarting = starting.catch(() => {});
        const next = await starting;
        backoff.started();
        say(`embedded PostgreSQL started again (pid ${next.pid}) on port ${next.port}`);
        if (!stopping) void onExit(next);
        return;
      } catch (err) {
        say(`embedded PostgreSQL did not start: ${err instanceof Error ? err.message : err}`);
      }
    }
  };
  void onExit(server);
}

/**
 * Starts the embedded PostgreSQL on `dataDir`. A server that an earlier dev
 * left running there (that dev was killed with SIGKILL, so it could not stop
 * it; its services stop by themselves) is stopped first, and the start is
 * tried once more. A server that another running dev owns is left alone.
 */
async function startOwnEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const options = {
    dataDir,
    // The services bind theirs only later: the server's free port must not be one of them.
    avoidPorts: Object.values(ports),
    // A terminal's Ctrl-C reaches dev alone, which stops the server after the services.
    ownSession: true,
  };
  try {
    return await startEmbeddedPostgres(options);
  } catch (err) {
    const stray = err instanceof EmbeddedStartError && err.inUse && err.pid !== undefined &&
        isStrayEmbeddedServer(err.pid)
      ? err.pid
      : undefined;
    if (stray === undefined) throw err;
    say(
      `embedded PostgreSQL (pid ${stray}) was left running on ${dataDir} by a dev that was killed; stopping it`,
    );
    await stopStrayEmbeddedServer(stray);
    return await startEmbeddedPostgres(options);
  }
}

try {
  let eventStoreUrl = config.EVENT_STORE_URL ?? config.DATABASE_URL;
  let readModelUrl = config.READ_MODEL_URL ?? config.DATABASE_URL;
  if (!eventStoreUrl || !readModelUrl) {
    await Deno.mkdir(config.DEV_DATA_DIR, { recursive: true });
    embedded = await startOwnEmbedded(config.DEV_DATA_DIR);
    say(`embedded PostgreSQL on port ${embedded.port} (data in ${config.DEV_DATA_DIR})`);
    superviseEmbedded(embedded, config.DEV_DATA_DIR);
    eventStoreUrl = withDatabase(embedded.url, "event_store");
    readModelUrl = withDatabase(embedded.url, "read_model");
  }
  for (
    const [url, set] of [[eventStoreUrl, "event_store"], [readModelUrl, "read_model"]] as const
  ) {
    const applied = await migrateDatabase(url, set);
    if (applied.length) say(`${set}: applied ${applied.join(", ")}`);
  }
  system = await startSystem({
    log: (line) => say(line),
    eventStoreUrl,
    readModelUrl,
    ports,
    // Ctrl-C reaches dev alone, which stops the gRPC services before their clients.
    detached: true,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`all services healthy in ${seconds} s`);
  if (Deno.env.get("NATS_URL")) say("integration events: relay to NATS JetStream is running");
  say(`GraphQL: ${system.gatewayUrl.replace("127.0.0.1", "localhost")}/graphql`);
} catch (err) {
  const hint = err instanceof EmbeddedStartError && err.inUse
    ? " (is `deno task dev` already running? DEV_DATA_DIR sets another directory)"
    : "";
  console.error(`[dev] ${err instanceof Error ? err.message : String(err)}${hint}`);
  await shutdown(1, "start-up failed");
}
