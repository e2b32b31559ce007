/**
 * `deno task bench:e2e`: the system end to end against its floors and a
 * peer, with wrk (an external process) as the load, in one run, interleaved.
 *
 * Rows, each at 1 and 50 connections:
 * - the system: `createProduct` (gateway, gRPC, command service, event
 *   store) and `product(id)` through a gateway with its cache off (gateway,
 *   gRPC, query service, read model);
 * - floors: graphql-yoga on Deno.serve with one INSERT (or one SELECT of the
 *   same read-model row) per request, and Deno.serve with postgres.js and
 *   one INSERT per request, no GraphQL; and the architecture's own floor:
 *   the same graphql-yoga, each request one bare grpc-js call to a service
 *   process that runs the statement (the one hop the system makes);
 * - a peer: Emmett 0.42's CommandHandler appending one event per POST to its
 *   PostgreSQL event store, behind node:http.
 * Each system row is given as a ratio to its floor and to the peer. CPU per
 * request is summed over the processes that answer it: the services (or the
 * floor or peer) and the PostgreSQL servers (embedded ones only: with
 * BENCH_DATABASE_URL the server's processes are not told apart from the rest
 * of the machine, and only the services are counted).
 *
 * BENCH_DATABASE_URL: a server to measure on; without it two embedded
 * PostgreSQL servers are started. Options: --seconds N per cell (default 8),
 * --rounds N (2; cells are medians of the rounds, the rounds interleaved).
 * Needs wrk on PATH. Prints the results, rewrites the "End to end" section of
 * docs/benchmarks.md.
 */
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { freePort } from "@shared/db/embedded.ts";
import { startSystem, waitHealthy } from "@shared/runtime/system.ts";
import { waitForHead } from "@shared/testing/projection.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import { freeSystemPorts } from "@shared/testing/ports.ts";
import {
  benchCatalogue,
  createProductBody,
  productByIdBody,
  seedProducts,
} from "./bench/catalogue.ts";
import { measuredBy, publishSection } from "./bench/report.ts";
import { CpuMeter, postmasterPids, TreeCpuMeter } from "./bench/cpu.ts";
import { benchServers, prepareSystemDatabases } from "./bench/servers.ts";
import { runWrk, type WrkBody, type WrkResult } from "./bench/wrk.ts";
import { flag } from "./bench/flags.ts";

const SECONDS = flag("seconds", 8);
const ROUNDS = flag("rounds", 2);
const PRODUCTS = 200;
const CONNECTIONS = [1, 50];
const say = (line: string) => console.log(line);
const root = new URL("../", import.meta.url).pathname;

/** A process of the benchmark (floor or peer), stopped at the end. */
interface Helper {
  url: string;
  process: Deno.ChildProcess;
}

/** Waits until something accepts connections on the port. */
async function waitPort(port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Starts a floor, the peer or a gateway on a free port (PORT, GATEWAY_PORT)
 * and waits until it listens; it is stopped at the end with the others.
 */
async function spawnHelper(
  file: string,
  env: Record<string, string>,
  path: string,
  flags: string[] = [],
): Promise<Helper> {
  const port = freePort();
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...flags, file],
    cwd: root,
    // PORT for the floors and the peer, GATEWAY_PORT for a gateway.
    env: { ...env, PORT: String(port), GATEWAY_PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const helper = { url: `http://127.0.0.1:${port}${path}`, process };
  helpers.push(helper); // stopped at the end, even when it never starts listening
  await waitPort(port, file);
  return helper;
}

/** One row of the table: what is measured, where, and whose CPU counts. */
interface Scenario {
  name: string;
  kind: "write" | "read";
  url: string;
  headers?: Record<string, string>;
  body: WrkBody;
  pids: () => Record<string, number>;
}

interface Cell {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU ms per answered request: the answering processes (and PostgreSQL when known). */
  cpu?: number;
  /** The same, by process. */
  cpuBy?: Record<string, number>;
}

const servers = await benchServers();
const tag = `bench_e2e_${crypto.randomUUID().slice(0, 8)}`;
const eventStoreUrl = withDatabase(servers.eventStoreServer, `${tag}_es`);
const readModelUrl = withDatabase(servers.readModelServer, `${tag}_rm`);
const floorUrl = withDatabase(servers.eventStoreServer, `${tag}_floor`);
const emmettUrl = withDatabase(servers.eventStoreServer, `${tag}_emmett`);
const secret = crypto.randomUUID() + crypto.randomUUID();
let system: Awaited<ReturnType<typeof startSystem>> | undefined;
const helpers: Helper[] = [];
const pools: { end(): Promise<void> }[] = [];
try {
  for (const url of [floorUrl, emmettUrl]) await ensureDatabase(url);
  const described = await prepareSystemDatabases(
    eventStoreUrl,
    readModelUrl,
    servers.description,
  );

  const ports = freeSystemPorts();
  const env = { LOG_LEVEL: "warn", GATEWAY_MODE: "production", JWT_SECRET: secret };
  system = await startSystem({ eventStoreUrl, readModelUrl, ports, output: "null", env });
  const uncached = await spawnHelper("services/gateway/main.ts", {
    ...env,
    CACHE_ENABLED: "false",
    GATEWAY_METRICS_PORT: String(freePort()),
    COMMAND_SERVICE_ADDRESS: `127.0.0.1:${ports.command}`,
    QUERY_SERVICE_ADDRESS: `127.0.0.1:${ports.query}`,
    READ_MODEL_URL: readModelUrl,
  }, "/graphql");
  await waitHealthy(uncached.url.replace("/graphql", ""));

  const catalogue = await benchCatalogue(system.gatewayUrl, secret);
  const { auth } = catalogue;
  const ids = await seedProducts(system.gatewayUrl, catalogue, PRODUCTS);
  // Every system row starts with the projections caught up: the writes of the row before
  // (thousands at 50 connections) must not be projected on this row's time.
  const rmCheck = connect(readModelUrl, { max: 1 });
  const esCheck = connect(eventStoreUrl, { max: 1 });
  pools.push(rmCheck, esCheck);
  const caughtUp = async () => {
    await waitForHead(rmCheck, esCheck, readModelProjections.map((p) => p.name), 300_000);
  };
  await caughtUp();

  const yoga = await spawnHelper("scripts/bench/floor_yoga.ts", {
    WRITE_DATABASE_URL: floorUrl,
    READ_DATABASE_URL: readModelUrl,
  }, "/graphql");
  const raw = await spawnHelper("scripts/bench/floor_raw.ts", {
    WRITE_DATABASE_URL: floorUrl,
  }, "/");
  const hopService = await spawnHelper("scripts/bench/floor_hop_service.ts", {
    WRITE_DATABASE_URL: floorUrl,
    READ_DATABASE_URL: readModelUrl,
  }, "");
  const hop = await spawnHelper("scripts/bench/floor_hop_gateway.ts", {
    HOP_ADDRESS: new URL(hopService.url).host,
  }, "/graphql");
  const hopPids = () => ({ floor: hop.process.pid, "floor service": hopService.process.pid });
  const peer = await spawnHelper("scripts/bench/peer_emmett.ts", { DATABASE_URL: emmettUrl }, "/", [
    "--no-lock",
  ]);

  const run = crypto.randomUUID().slice(0, 8);
  const createBody = createProductBody(catalogue.categoryId, `Load ${run}`);
  const readBody = productByIdBody(ids);
  const services = () => ({
    gateway: system!.pids.gateway,
    command: system!.pids.command,
    query: system!.pids.query,
    projector: system!.pids.projector,
    saga: system!.pids.saga,
  });
  const scenarios: Scenario[] = [
    {
      name: "createProduct (system)",
      kind: "write",
      url: `${system.gatewayUrl}/graphql`,
      headers: auth,
      body: createBody,
      pids: services,
    },
    {
      name: "floor: graphql-yoga + one INSERT",
      kind: "write",
      url: yoga.url,
      body: createBody,
      pids: () => ({ floor: yoga.process.pid }),
    },
    {
      name: "floor: Deno.serve + postgres.js, one INSERT",
      kind: "write",
      url: raw.url,
      body: createBody,
      pids: () => ({ floor: raw.process.pid }),
    },
    {
      name: "peer: Emmett CommandHandler, one event",
      kind: "write",
      url: peer.url,
      body: createBody,
      pids: () => ({ peer: peer.process.pid }),
    },
    {
      name: "product(id), uncached (system)",
      kind: "read",
      url: uncached.url,
      body: readBody,
      pids: () => ({ ...services(), gateway: uncached.process.pid }),
    },
    {
      name: "floor: graphql-yoga + one SELECT",
      kind: "read",
      url: yoga.url,
      body: readBody,
      pids: () => ({ floor: yoga.process.pid }),
    },
    {
      name: "floor: graphql-yoga + gRPC hop + one INSERT",
      kind: "write",
      url: hop.url,
      body: createBody,
      pids: hopPids,
    },
    {
      name: "floor: graphql-yoga + gRPC hop + one SELECT",
      kind: "read",
      url: hop.url,
      body: readBody,
      pids: hopPids,
    },
  ];
  const postgresRoots = postmasterPids(servers.dataDirs);
  say(
    `seeded ${PRODUCTS} products; ${SECONDS} s per cell, ${ROUNDS} rounds; ` +
      `PostgreSQL CPU ${postgresRoots.length ? "counted" : "not told apart"}`,
  );

  const measure = async (s: Scenario, connections: number, seconds: number): Promise<Cell> => {
    if (s.name.endsWith("(system)")) await caughtUp();
    const meter = new CpuMeter(s.pids());
    const pg = new TreeCpuMeter(postgresRoots);
    meter.start();
    pg.start();
    const r: WrkResult = await runWrk({
      url: s.url,
      connections,
      seconds,
      ...(s.headers ? { headers: s.headers } : {}),
      body: s.body,
    });
    const used = meter.stop();
    const pgMs = pg.stop();
    const answered = r.rate * seconds;
    let cpuBy: Record<string, number> | undefined;
    if (used && answered > 0) {
      const { other: _, ...own } = used;
      cpuBy = Object.fromEntries(Object.entries(own).map(([k, v]) => [k, v / answered]));
      if (pgMs !== undefined) cpuBy.postgres = pgMs / answered;
    }
    return {
      rate: r.rate,
      p50: r.p50,
      p99: r.p99,
      errors: r.errors,
      ...(cpuBy ? { cpuBy, cpu: Object.values(cpuBy).reduce((a, b) => a + b, 0) } : {}),
    };
  };

  const loadBefore = Deno.loadavg();
  for (const s of scenarios) await measure(s, 10, 2); // warm-up: JIT, pools
  const cells = scenarios.map(() => CONNECTIONS.map((): Cell[] => []));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [c, connections] of CONNECTIONS.entries()) {
      for (const [i, s] of scenarios.entries()) {
        const cell = await measure(s, connections, SECONDS);
        cells[i]![c]!.push(cell);
        say(
          `round ${round}/${ROUNDS} ${s.name} @${connections}: ${Math.round(cell.rate)}/s, ` +
            `p50 ${cell.p50.toFixed(1)} ms, p99 ${cell.p99.toFixed(1)} ms, ${cell.errors} errors` +
            (cell.cpu !== undefined ? `, ${cell.cpu.toFixed(2)} ms CPU` : "") +
            (cell.cpuBy
              ? ` (${
                Object.entries(cell.cpuBy).map(([p, ms]) => `${p} ${ms.toFixed(2)}`).join(", ")
              })`
              : ""),
        );
      }
    }
  }
  const loadAfter = Deno.loadavg();
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    // An even count: the mean of the two middle values, not the upper one.
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const med = (i: number, c: number, pick: (x: Cell) => number | undefined) => {
    const xs = cells[i]![c]!.map(pick).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  /** The median of the per-round ratios of two rows' rates at one number of connections. */
  const ratio = (a: number, b: number, c: number) =>
    median(cells[a]![c]!.map((x, r) => x.rate / cells[b]![c]![r]!.rate));
  const n = (x: number | undefined, digits = 0) =>
    x === undefined ? "–" : x.toLocaleString("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  const rows = scenarios.flatMap((s, i) =>
    CONNECTIONS.map((connections, c) =>
      `| ${s.name} | ${connections} | ${n(med(i, c, (x) => x.rate))} | ${
        n(med(i, c, (x) => x.p50), 1)
      } | ${n(med(i, c, (x) => x.p99), 1)} | ${cells[i]![c]!.reduce((a, x) => a + x.errors, 0)} | ${
        n(med(i, c, (x) => x.cpu), 2)
      } |`
    )
  );
  const [CREATE, YOGA_W, RAW_W, PEER, READ, YOGA_R, HOP_W, HOP_R] = [0, 1, 2, 3, 4, 5, 6, 7];
  const ratioRows = CONNECTIONS.flatMap((connections, c) => [
    `| createProduct ÷ graphql-yoga + INSERT floor | ${connections} | ${
      ratio(CREATE, YOGA_W, c).toFixed(2)
    }x |`,
    `| createProduct ÷ Deno.serve + INSERT floor | ${connections} | ${
      ratio(CREATE, RAW_W, c).toFixed(2)
    }x |`,
    `| createProduct ÷ Emmett peer | ${connections} | ${ratio(CREATE, PEER, c).toFixed(2)}x |`,
    `| product(id) uncached ÷ graphql-yoga + SELECT floor | ${connections} | ${
      ratio(READ, YOGA_R, c).toFixed(2)
    }x |`,
    `| createProduct ÷ graphql-yoga + gRPC hop + INSERT floor | ${connections} | ${
      ratio(CREATE, HOP_W, c).toFixed(2)
    }x |`,
    `| product(id) uncached ÷ graphql-yoga + gRPC hop + SELECT floor | ${connections} | ${
      ratio(READ, HOP_R, c).toFixed(2)
    }x |`,
  ]);
  const cpuColumns = [
    ...new Set(cells.flatMap((s) => s.flatMap((x) => Object.keys(x[0]?.cpuBy ?? {})))),
  ];
  const cpuRows = scenarios.map((s, i) => {
    const last = CONNECTIONS.length - 1;
    return `| ${s.name} | ${
      cpuColumns.map((k) => n(med(i, last, (x) => x.cpuBy?.[k]), 2)).join(" | ")
    } | ${n(med(i, last, (x) => x.cpu), 2)} |`;
  });
  const met = (ok: boolean) => ok ? "met" : "NOT met";
  const c1 = CONNECTIONS.indexOf(1), c50 = CONNECTIONS.indexOf(50);
  const createRatio = ratio(CREATE, YOGA_W, c50);
  const createP99 = med(CREATE, c50, (x) => x.p99)!;
  const createP50 = med(CREATE, c1, (x) => x.p50)!;
  const readRatio = ratio(READ, YOGA_R, c50);
  const readP50 = med(READ, c1, (x) => x.p50)!;
  const createCpu = med(CREATE, c50, (x) => x.cpu);
  const targets = [
    `createProduct at 50 connections: ${createRatio.toFixed(2)}x the graphql-yoga + INSERT floor ` +
    `(goal ≥ 0.5x) at p99 ${createP99.toFixed(1)} ms (goal ≤ 100 ms): ${
      met(createRatio >= 0.5 && createP99 <= 100)
    }`,
    `createProduct at 1 connection: p50 ${createP50.toFixed(1)} ms, goal ≤ 4 ms: ${
      met(createP50 <= 4)
    }`,
    `product(id) uncached at 50 connections: ${readRatio.toFixed(2)}x its floor, goal ≥ 0.7x: ${
      met(readRatio >= 0.7)
    }`,
    `product(id) uncached at 1 connection: p50 ${readP50.toFixed(1)} ms, goal ≤ 2 ms: ${
      met(readP50 <= 2)
    }`,
    `CPU per createProduct (every process${
      postgresRoots.length ? ", PostgreSQL included" : ", PostgreSQL not counted"
    }): ${n(createCpu, 2)} ms, goal ≤ 3 ms: ${
      createCpu === undefined ? "not measured" : met(createCpu <= 3)
    }`,
  ];
  const cores = navigator.hardwareConcurrency;
  /** The measured cause of a row's rate at 50 connections: its CPU per request and its shares. */
  const cause = (i: number) => {
    const total = med(i, c50, (x) => x.cpu);
    if (total === undefined) return "CPU not measured";
    const shares = Object.keys(cells[i]![c50]![0]?.cpuBy ?? {})
      .map((k) => [k, med(i, c50, (x) => x.cpuBy?.[k]) ?? 0] as const)
      .sort((a, b) => b[1] - a[1]).slice(0, 3)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
    return `${total.toFixed(2)} ms of CPU per request caps ${cores} cores at ≈ ${
      Math.round(cores * 1000 / total).toLocaleString("en-US")
    }/s (largest: ${shares} ms)`;
  };
  targets.push(
    `Cause, createProduct at 50 connections: ${cause(CREATE)}; the graphql-yoga + INSERT floor: ${
      cause(YOGA_W)
    }.`,
    `Cause, product(id) uncached at 50 connections: ${cause(READ)}; its floor: ${cause(YOGA_R)}.`,
    "Cause at 1 connection: the hops one request waits for, in `deno task bench:breakdown`; " +
      `with nothing but the one gRPC hop, graphql-yoga answers createProduct at p50 ${
        n(med(HOP_W, c1, (x) => x.p50), 1)
      } ms and product(id) at p50 ${n(med(HOP_R, c1, (x) => x.p50), 1)} ms.`,
  );
  const summary = `createProduct @50 ${n(med(CREATE, c50, (x) => x.rate))}/s = ${
    createRatio.toFixed(2)
  }x floor, p99 ${createP99.toFixed(0)} ms; @1 p50 ${createP50.toFixed(1)} ms; product(id) @50 ${
    readRatio.toFixed(2)
  }x floor, @1 p50 ${readP50.toFixed(1)} ms; CPU ${n(createCpu, 2)} ms/createProduct`;
  const body = [
    measuredBy("bench:e2e", loadBefore, loadAfter),
    "",
    ...described,
    "",
    `wrk (an external process, 1 thread at 1 connection, 2 at 50) drives each row for ${SECONDS} s,`,
    `${ROUNDS} interleaved rounds (every row at 1 connection, then every row at 50), after a 2 s`,
    "warm-up of each; cells are medians of the rounds, ratios medians of the per-round ratios.",
    "The system runs every service as its own process (gateway in production mode); reads go",
    `through a second gateway with its cache off, over ${PRODUCTS} products. An answer that is not`,
    "200 or carries GraphQL `errors` counts as an error, not as throughput. Floors and the peer",
    "run as their own processes on the same PostgreSQL servers. Each system row starts once",
    "every projection has caught up with the event store, so that it is not charged with",
    "projecting the writes of the row before it.",
    "",
    "| row | connections | req/s | p50 (ms) | p99 (ms) | errors | CPU ms/request |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "| ratio | connections | |",
    "|---|---:|---:|",
    ...ratioRows,
    "",
    `CPU ms per answered request at 50 connections, by process (${
      postgresRoots.length
        ? "`postgres`: both embedded servers' processes"
        : "PostgreSQL not told apart from the machine's other work, left out"
    }; wrk's own CPU is not counted):`,
    "",
    `| row | ${cpuColumns.join(" | ")} | total |`,
    `|---|${cpuColumns.map(() => "---:").join("|")}|---:|`,
    ...cpuRows,
    "",
    "Targets:",
    "",
    ...targets.map((t) => `- ${t}`),
    "",
    `Summary: \`${summary}\``,
  ];
  await publishSection("End to end", body);
} finally {
  for (const pool of pools) await pool.end().catch(() => {});
  for (const h of helpers) {
    try {
      h.process.kill("SIGTERM");
    } catch { /* gone */ }
    await h.process.status;
  }
  await system?.stop();
  for (const url of [eventStoreUrl, readModelUrl, floorUrl, emmettUrl]) {
    await dropDatabase(url).catch(() => {});
  }
  await servers.stop();
}
