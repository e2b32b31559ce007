/**
 * `deno task bench:breakdown`: where the time of one `createProduct` goes,
 * on an otherwise idle system, one request at a time.
 *
 * (a) End to end, every service its own process: the client's latency with
 * tracing off (as production runs by default), then with tracing on, the
 * spans exported to a receiver in this process; per trace: the gateway's
 * own work (HTTP span minus its gRPC client span: authentication, parse,
 * validate, execute, answer), the gRPC hop (client span minus server span:
 * serialisation, HTTP/2 both ways) and the command service's handling.
 * (b) The command service's handling, phase by phase, in this process on the
 * same event store with the same functions createProduct runs (stored
 * outcome, load of the product and its category, decide, commit), each
 * phase's statements counted, beside one `SELECT 1` round trip.
 *
 * BENCH_DATABASE_URL: a server to measure on (scratch databases are created
 * and dropped there); without it two embedded PostgreSQL servers are started.
 * Options: --requests N (default 300) after --warmup N (50). Prints the
 * results, rewrites the "Where a createProduct's time goes" section of
 * docs/benchmarks.md.
 */
import postgres from "postgres";
import { dropDatabase, withDatabase } from "@shared/db/connect.ts";
import * as product from "@shared/domain/product/mod.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { startSystem } from "@shared/runtime/system.ts";
import { gql } from "@shared/testing/graphql.ts";
import { freeSystemPorts } from "@shared/testing/ports.ts";
import { benchCatalogue, CREATE_PRODUCT } from "./bench/catalogue.ts";
import { categories, load, products } from "@shared/application/aggregates.ts";
import { commit, firstOutcome } from "@shared/application/commit.ts";
import type { Envelope } from "@shared/application/envelope.ts";
import { execute } from "@shared/application/pipeline.ts";
import { commandDeps } from "../services/command/deps.ts";
import { createProduct } from "../services/command/handlers/product.ts";
import { newProductEffects } from "../services/command/lookups/products.ts";
import { measuredBy, publishSection } from "./bench/report.ts";
import { benchServers, prepareSystemDatabases } from "./bench/servers.ts";
import { CpuMeter, postmasterPids, TreeCpuMeter } from "./bench/cpu.ts";
import { type SinkSpan, startSpanSink } from "./bench/otlp_sink.ts";
import { flag } from "./bench/flags.ts";

const REQUESTS = flag("requests", 300);
const WARMUP = flag("warmup", 50);
const say = (line: string) => console.log(line);

/** The q-quantile of some values (nearest rank). */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const f = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "–";

/** Runs `count` createProducts one at a time through a gateway; returns each one's latency. */
async function sequential(
  url: string,
  auth: Record<string, string>,
  categoryId: string,
  count: number,
  label: string,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await gql<{ createProduct: { id: string } }>(url, CREATE_PRODUCT, {
      input: { name: `${label} ${i}`, price: "9.99", categoryId },
    }, auth);
    latencies.push(performance.now() - started);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  }
  return latencies;
}

/** One end-to-end run: a system (tracing on or off), a category, warm-up, then the timed requests. */
async function endToEnd(
  eventStoreUrl: string,
  readModelUrl: string,
  tracing: string | undefined,
  postgresRoots: number[],
): Promise<{ latencies: number[]; from: number; cpu: Record<string, number> | undefined }> {
  const secret = crypto.randomUUID() + crypto.randomUUID();
  const env: Record<string, string> = {
    LOG_LEVEL: "warn",
    GATEWAY_MODE: "production",
    JWT_SECRET: secret,
    ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing, OTEL_BSP_SCHEDULE_DELAY: "200" } : {}),
  };
  const system = await startSystem({
    eventStoreUrl,
    readModelUrl,
    ports: freeSystemPorts(),
    output: "null",
    env,
  });
  try {
    const { auth, categoryId } = await benchCatalogue(
      system.gatewayUrl,
      secret,
      `Breakdown ${crypto.randomUUID()}`,
    );
    await sequential(system.gatewayUrl, auth, categoryId, WARMUP, "Warm-up");
    // Let the projector and the saga worker finish what the warm-up gave them.
    await new Promise((r) => setTimeout(r, 1000));
    const from = Date.now();
    const pids = {
      gateway: system.pids.gateway,
      command: system.pids.command,
      query: system.pids.query,
      projector: system.pids.projector,
      saga: system.pids.saga,
    };
    const meter = new CpuMeter(pids), pg = new TreeCpuMeter(postgresRoots);
    meter.start();
    pg.start();
    const started = performance.now();
    const latencies = await sequential(system.gatewayUrl, auth, categoryId, REQUESTS, "Timed");
    const busy = meter.stop(), pgBusy = pg.stop();
    // The same length of time with no request: what the services spend anyway (polls,
    // health checks, timers), taken off so that only the requests' CPU remains.
    const idleMeter = new CpuMeter(pids), idlePg = new TreeCpuMeter(postgresRoots);
    idleMeter.start();
    idlePg.start();
    await new Promise((r) => setTimeout(r, performance.now() - started));
    const idle = idleMeter.stop(), pgIdle = idlePg.stop();
    let cpu: Record<string, number> | undefined;
    if (busy && idle) {
      cpu = Object.fromEntries(
        Object.keys(pids).map((k) => [k, Math.max(0, busy[k]! - idle[k]!) / REQUESTS]),
      );
      if (pgBusy !== undefined && pgIdle !== undefined) {
        cpu.postgres = Math.max(0, pgBusy - pgIdle) / REQUESTS;
      }
    }
    return { latencies, from, cpu };
  } finally {
    await system.stop();
  }
}

/** Per trace of a createProduct: the gateway's HTTP span, its gRPC client span and the server's. */
function hops(spans: SinkSpan[], from: number) {
  const byTrace = new Map<string, SinkSpan[]>();
  for (const s of spans) {
    if (s.startMs < from) continue;
    let list = byTrace.get(s.traceId);
    if (!list) byTrace.set(s.traceId, list = []);
    list.push(s);
  }
  const rows: { http: number; client: number; server: number }[] = [];
  const names = new Map<string, number[]>();
  for (const list of byTrace.values()) {
    const http = list.find((s) => s.kind === 2 && s.name.startsWith("POST"));
    const client = list.find((s) => s.kind === 3 && /CreateProduct$/.test(s.name));
    const server = list.find((s) => s.kind === 2 && /CreateProduct$/.test(s.name));
    if (!http || !client || !server) continue;
    rows.push({ http: http.durationMs, client: client.durationMs, server: server.durationMs });
    for (const s of list) {
      const key = `${s.service}: ${s.name} (${
        ["", "internal", "server", "client", "producer", "consumer"][s.kind]
      })`;
      let d = names.get(key);
      if (!d) names.set(key, d = []);
      d.push(s.durationMs);
    }
  }
  return { rows, names };
}

/** (b): the command's phases in this process, with their statements counted. */
async function phases(eventStoreUrl: string) {
  let statements = 0;
  const sql = postgres(eventStoreUrl, {
    max: 10,
    onnotice: () => {},
    connection: { application_name: "bench_breakdown" },
    debug: () => statements++,
  });
  const store = new EventStore(sql, { upcasters });
  const deps = commandDeps(store);
  const categoryId = crypto.randomUUID();
  await sql`INSERT INTO category_lookup (category_id, parent_id, name, name_key, version)
    VALUES (${categoryId}, NULL, ${`Phases ${categoryId}`}, ${`phases ${categoryId}`}, 1)`;
  const categoryName = `Phases ${categoryId}`;
  await store.append(categoryId, [{
    type: "CategoryCreated",
    data: {
      id: categoryId,
      name: categoryName,
      description: null,
      parentId: null,
      path: [{ id: categoryId, name: categoryName }],
      depth: 1,
      createdAt: new Date().toISOString(),
    },
  }], { aggregateType: categories.type, expectedVersion: "no_stream" });
  const timings: Record<string, number[]> = {
    "SELECT 1 (one round trip)": [],
    "command id seen? and the loads of product and category (in parallel)": [],
    "decide": [],
    "commit: the append with its effects": [],
    "createProduct() as a whole": [],
  };
  const counts: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const before = statements;
    const started = performance.now();
    const out = await fn();
    timings[name]!.push(performance.now() - started);
    counts[name] = statements - before;
    return out;
  };
  const envelopeFor = (): Envelope => ({
    commandId: crypto.randomUUID(),
    metadata: { userId: "bench", inputHash: "0".repeat(64) },
    at: new Date().toISOString(),
    internal: false,
    inputHash: "0".repeat(64),
    actor: { subject: "bench", roles: ["staff"] },
  });
  try {
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      if (i === WARMUP) { for (const t of Object.values(timings)) t.length = 0; }
      await time("SELECT 1 (one round trip)", () => sql`SELECT 1`);
      const envelope = envelopeFor();
      const id = crypto.randomUUID();
      const name = `Phase ${i}`;
      // As the pipeline does: the command id's lookup beside the loads.
      const [, self, owner] = await time(
        "command id seen? and the loads of product and category (in parallel)",
        () =>
          Promise.all([
            firstOutcome(store, envelope, id),
            load(deps, products, id),
            load(deps, categories, categoryId),
          ]),
      );
      const events = await time("decide", () =>
        product.decide({
          type: "CreateProduct",
          id,
          name,
          description: undefined,
          price: "9.99",
          categoryId,
          category: owner.state ?? undefined,
          at: envelope.at,
        } as never, self.state));
      await time("commit: the append with its effects", () =>
        commit(store, [{
          streamId: id,
          aggregateType: products.type,
          events,
          loadedVersion: self.version,
        }], {
          envelope,
          // createProduct's own effects.
          effects: newProductEffects({ id, categoryId, name }),
          view: () => ({ id, name }),
        }));
      await time("createProduct() as a whole", () =>
        // Past the access and contract checks: idempotency, load, decide, commit.
        execute(deps, createProduct, {
          name: `Whole ${i}`,
          price: "9.99",
          categoryId,
        } as never, envelopeFor()));
    }
  } finally {
    store.close();
    await sql.end();
  }
  return { timings, counts };
}

const servers = await benchServers();
const tag = `bench_breakdown_${crypto.randomUUID().slice(0, 8)}`;
const eventStoreUrl = withDatabase(servers.eventStoreServer, `${tag}_es`);
const readModelUrl = withDatabase(servers.readModelServer, `${tag}_rm`);
const sink = startSpanSink();
try {
  const described = await prepareSystemDatabases(
    eventStoreUrl,
    readModelUrl,
    servers.description,
  );
  const loadBefore = Deno.loadavg();

  say(`(a) ${REQUESTS} createProducts one at a time, tracing off…`);
  const postgresRoots = postmasterPids(servers.dataDirs);
  const plain = await endToEnd(eventStoreUrl, readModelUrl, undefined, postgresRoots);
  say(`    p50 ${f(quantile(plain.latencies, 0.5))} ms`);
  say(`(a) the same, tracing on…`);
  const traced = await endToEnd(eventStoreUrl, readModelUrl, sink.url, postgresRoots);
  say(`    p50 ${f(quantile(traced.latencies, 0.5))} ms; ${sink.spans.length} spans received`);
  const { rows, names } = hops(sink.spans, traced.from);
  if (rows.length < REQUESTS) {
    say(`    only ${rows.length} of ${REQUESTS} traces are complete (a process lost its spans?)`);
  }
  say(`(b) the command's phases in this process…`);
  const { timings, counts } = await phases(eventStoreUrl);
  const loadAfter = Deno.loadavg();

  const col = (pick: (r: { http: number; client: number; server: number }) => number) =>
    rows.map(pick);
  const hopRows: [string, number[]][] = [
    ["client latency, tracing off (the reference)", plain.latencies],
    ["client latency, tracing on", traced.latencies],
    ["gateway HTTP span (whole request in the gateway)", col((r) => r.http)],
    ["gateway's own work (HTTP span − gRPC client span)", col((r) => r.http - r.client)],
    ["gRPC hop both ways (client span − server span)", col((r) => r.client - r.server)],
    ["command service (gRPC server span)", col((r) => r.server)],
  ];
  const line = ([name, xs]: [string, number[]]) =>
    `| ${name} | ${f(quantile(xs, 0.5))} | ${f(quantile(xs, 0.9))} | ${f(quantile(xs, 0.99))} |`;
  const phaseRows = Object.entries(timings).map(([name, xs]) =>
    `| ${name} | ${counts[name] ?? "–"} | ${f(quantile(xs, 0.5))} | ${f(quantile(xs, 0.9))} |`
  );
  const spanRows = [...names].sort((a, b) => a[0].localeCompare(b[0])).map(([name, xs]) =>
    `| ${name} | ${xs.length} | ${f(quantile(xs, 0.5))} |`
  );
  const cpuLine = (label: string, cpu: Record<string, number> | undefined) =>
    cpu
      ? `| ${label} | ${Object.values(cpu).map((v) => v.toFixed(2)).join(" | ")} | ${
        Object.values(cpu).reduce((a, b) => a + b, 0).toFixed(2)
      } |`
      : `| ${label} | not measured |`;
  const cpuHead = Object.keys(plain.cpu ?? traced.cpu ?? {});
  const p50 = (xs: number[]) => quantile(xs, 0.5);
  const server = p50(col((r) => r.server));
  const summary = `createProduct at 1 connection: p50 ${f(p50(plain.latencies))} ms untraced; ` +
    `gateway ${f(p50(col((r) => r.http - r.client)))} ms, gRPC hop ${
      f(p50(col((r) => r.client - r.server)))
    } ms, command ${f(server)} ms (traced)`;
  const body = [
    measuredBy("bench:breakdown", loadBefore, loadAfter),
    "",
    ...described,
    "",
    `${REQUESTS} createProducts, one at a time after ${WARMUP} of warm-up, through a gateway in`,
    "production mode with every service its own process (as `deno task dev` runs them); first",
    "with tracing off, then on a fresh start with tracing on, its spans exported (OTLP/HTTP)",
    `to a receiver in the benchmark (complete traces received: ${rows.length} of ${REQUESTS}).`,
    "Milliseconds:",
    "",
    "| hop | p50 | p90 | p99 |",
    "|---|---:|---:|---:|",
    ...hopRows.map(line),
    "",
    `CPU ms per createProduct, by process, over the ${REQUESTS} timed requests, less the same`,
    "length of time idle just after (what the services spend anyway)" +
    (postgresRoots.length
      ? "; `postgres`: both embedded servers' processes:"
      : "; PostgreSQL not told apart from the machine's other work, left out:"),
    "",
    `| run | ${cpuHead.join(" | ")} | total |`,
    `|---|${cpuHead.map(() => "---:").join("|")}|---:|`,
    cpuLine("tracing off", plain.cpu),
    cpuLine("tracing on", traced.cpu),
    "",
    "Every span of those traces (the projector's and the saga worker's follow the request):",
    "",
    "| span | count | p50 (ms) |",
    "|---|---:|---:|",
    ...spanRows,
    "",
    "Inside the command service: the phases of createProduct, run in the benchmark's process",
    "with the service's own functions on the same event store (pool of 10), one command at a",
    "time; statements counted by the client (postgres.js), BEGIN and COMMIT included:",
    "",
    "| phase | statements | p50 (ms) | p90 (ms) |",
    "|---|---:|---:|---:|",
    ...phaseRows,
    "",
    `Summary: \`${summary}\``,
  ];
  await publishSection("Where a createProduct's time goes", body);
  if (sink.refused > 0) say(`(the span receiver could not read ${sink.refused} exports)`);
} finally {
  await sink.close();
  await dropDatabase(eventStoreUrl).catch(() => {});
  await dropDatabase(readModelUrl).catch(() => {});
  await servers.stop();
}
