/**
 * `deno task profile`: where each service spends its CPU on a path.
 *
 * Starts the system as `deno task bench:e2e` does (every service its own
 * process, gateway in production mode, two embedded PostgreSQL servers or
 * BENCH_DATABASE_URL), each service with the V8 inspector on. It then
 * samples every service's CPU (the inspector's Profiler, every 100 µs) while
 * wrk drives one path, and prints each service's heaviest functions by own
 * time, and by package or folder.
 *
 * Options: --path create|read (default create), --connections N (default
 * 1), --seconds N (default 10), --top N (default 25), --out DIR (writes each
 * service's `.cpuprofile`, which Chrome DevTools opens). Needs wrk on PATH.
 */
import { freePort } from "@shared/db/embedded.ts";
import { connect, withDatabase } from "@shared/db/connect.ts";
import { type ProcessName, startSystem } from "@shared/runtime/system.ts";
import { waitForHead } from "@shared/testing/projection.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { freeSystemPorts } from "@shared/testing/ports.ts";
import {
  benchCatalogue,
  createProductBody,
  productByIdBody,
  seedProducts,
} from "./bench/catalogue.ts";
import { benchServers, prepareSystemDatabases } from "./bench/servers.ts";
import { runWrk } from "./bench/wrk.ts";
import { option } from "./bench/flags.ts";

const PATH = option("path", "create");
const CONNECTIONS = Number(option("connections", "1"));
const SECONDS = Number(option("seconds", "10"));
const TOP = Number(option("top", "25"));
const OUT = option("out", "");
const PROFILED = ["gateway", "command", "query", "projector", "saga"] as const;
const root = new URL("../", import.meta.url).pathname;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One inspector session over the DevTools protocol. */
class Inspector {
  #socket: WebSocket;
  #next = 1;
  #waiting = new Map<number, (result: unknown) => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (typeof message.id === "number") {
        this.#waiting.get(message.id)?.(message.result ?? message.error);
        this.#waiting.delete(message.id);
      }
    };
  }

  static async open(port: number): Promise<Inspector> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const socket = new WebSocket(list[0].webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new Inspector(socket);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (result: unknown) => void);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#socket.close();
  }
}

/** Own time by function, and by package or project folder, in ms. */
function ownTimes(profile: CpuProfile) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const own = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    own.set(id, (own.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of own) {
    const frame = byNode.get(id)!.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    total += ms;
    const place = placeOf(frame.url) || frame.functionName;
    const name = `${frame.functionName || "(anonymous)"} ${place}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
  }
  return { total, byFunction, byPlace };
}

/** `npm:postgres`, `shared/grpc`, or "" for V8's own frames. */
function placeOf(url: string): string {
  if (!url) return "";
  const npm = url.match(/node_modules\/\.deno\/([^/]+?)@[^/]*\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (npm) return `npm:${npm[2]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) {
    return url.split("/").slice(0, 2).join("/");
  }
  const local = url.replace(`file://${root}`, "");
  return local.split("/").slice(
    0,
    local.startsWith("shared") || local.startsWith("services") ? 2 : 1,
  )
    .join("/");
}

function table(map: Map<string, number>, per: number, top: number): string {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => `  ${(ms / per).toFixed(3).padStart(8)}  ${name}`).join("\n");
}

const servers = await benchServers();
const tag = `profile_${crypto.randomUUID().slice(0, 8)}`;
const eventStoreUrl = withDatabase(servers.eventStoreServer, `${tag}_es`);
const readModelUrl = withDatabase(servers.readModelServer, `${tag}_rm`);
const secret = crypto.randomUUID() + crypto.randomUUID();
let system: Awaited<ReturnType<typeof startSystem>> | undefined;
try {
  await prepareSystemDatabases(eventStoreUrl, readModelUrl, servers.description);
  const inspectPorts = Object.fromEntries(PROFILED.map((s) => [s, freePort()]));
  const denoFlags = Object.fromEntries(
    PROFILED.map((s) => [s, [`--inspect=127.0.0.1:${inspectPorts[s]}`]]),
  ) as Partial<Record<ProcessName, string[]>>;
  const env: Record<string, string> = {
    LOG_LEVEL: "warn",
    GATEWAY_MODE: "production",
    JWT_SECRET: secret,
  };
  if (PATH === "read") env.CACHE_ENABLED = "false";
  system = await startSystem({
    eventStoreUrl,
    readModelUrl,
    ports: freeSystemPorts(),
    output: "null",
    env,
    denoFlags,
  });
  const catalogue = await benchCatalogue(system.gatewayUrl, secret);
  const { auth } = catalogue;
  const ids = await seedProducts(system.gatewayUrl, catalogue, 50);
  // Reads find every product, and no projecting of the seed is sampled.
  const readModel = connect(readModelUrl, { max: 1 });
  const eventStore = connect(eventStoreUrl, { max: 1 });
  try {
    await waitForHead(readModel, eventStore, readModelProjections.map((p) => p.name), 60_000);
  } finally {
    await Promise.all([readModel.end(), eventStore.end()]);
  }
  const body = PATH === "read"
    ? productByIdBody(ids)
    : createProductBody(catalogue.categoryId, "Profile");
  const url = `${system.gatewayUrl}/graphql`;
  await runWrk({ url, connections: CONNECTIONS, seconds: 3, headers: auth, body }); // warm-up

  const inspectors = await Promise.all(PROFILED.map((s) => Inspector.open(inspectPorts[s]!)));
  for (const inspector of inspectors) {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.send("Profiler.start");
  }
  const result = await runWrk({
    url,
    connections: CONNECTIONS,
    seconds: SECONDS,
    headers: auth,
    body,
  });
  const profiles = await Promise.all(
    inspectors.map((i) => i.send<{ profile: CpuProfile }>("Profiler.stop")),
  );
  for (const inspector of inspectors) inspector.close();
  const requests = result.rate * SECONDS;
  console.log(
    `${PATH} @${CONNECTIONS}: ${Math.round(result.rate)}/s, p50 ${result.p50.toFixed(2)} ms, ` +
      `${result.errors} errors; figures are ms of sampled JS CPU per request`,
  );
  if (OUT) await Deno.mkdir(OUT, { recursive: true });
  for (const [i, service] of PROFILED.entries()) {
    const { profile } = profiles[i]!;
    if (OUT) await Deno.writeTextFile(`${OUT}/${service}.cpuprofile`, JSON.stringify(profile));
    const { total, byFunction, byPlace } = ownTimes(profile);
    console.log(`\n== ${service}: ${(total / requests).toFixed(3)} ms per request`);
    console.log(" by package or folder:\n" + table(byPlace, requests, 12));
    console.log(" by function (own time):\n" + table(byFunction, requests, TOP));
  }
} finally {
  await system?.stop();
  await servers.stop();
}
