/**
 * `deno task bench:projector`: the projector's two figures.
 *
 * (a) Rebuild: 100,000 realistic events are stored (a catalogue with stock,
 * updates and price changes, orders with reservations and sagas), then the
 * products projection is rebuilt blue-green from them, as
 * `deno task projections:rebuild products` does, three times; the rate is the
 * events the projection read and applied (only its types are read) over the
 * whole rebuild (median run); the stored total is shown beside it.
 * (b) Live lag: a projector process (default settings) follows a fresh store
 * while single-event commands are appended at 500 per second (then, for
 * comparison, 200 per second for 10 s); each event's lag
 * runs from its append's commit (as the appender sees it) to the change-feed
 * notice of the batch that moved a projection's checkpoint past it.
 *
 * BENCH_DATABASE_URL: a server to measure on (scratch databases are created
 * and dropped there); without it an embedded PostgreSQL is started. Options:
 * --events N (rebuild, default 100000), --runs N (3), --rate N (500),
 * --seconds N (20, after 3 s of warm-up). Prints the results, rewrites the
 * "Projector" section of docs/benchmarks.md.
 */
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { rebuildProjection, type RebuildResult } from "@shared/projection/rebuild.ts";
import {
  appendWorkload,
  buildWorkload,
  seedEvents,
  spawnProjector,
  waitForHead,
} from "@shared/testing/projection.ts";
import { productsProjection, readModelProjections } from "@shared/read_models/mod.ts";
import { describeMachine, measuredBy, writeSection } from "./bench/report.ts";
import { benchServers } from "./bench/servers.ts";
import { measureLiveLag, quantile } from "./bench_projector/live.ts";
import { flag } from "./bench/flags.ts";

const EVENTS = flag("events", 100_000);
const RUNS = flag("runs", 3);
const RATE = flag("rate", 500);
const SECONDS = flag("seconds", 20);
const WARMUP_S = 3;
const REFERENCE_RATE = 200;
const REBUILD_TARGET = 30_000;
const LAG_TARGET_MS = 50;

const servers = await benchServers();
const { eventStoreServer, readModelServer, description: server } = servers;
const tag = `bench_projector_${crypto.randomUUID().slice(0, 8)}`;
const urls = [
  withDatabase(eventStoreServer, `${tag}_rebuild_es`),
  withDatabase(readModelServer, `${tag}_rebuild_rm`),
  withDatabase(eventStoreServer, `${tag}_live_es`),
  withDatabase(readModelServer, `${tag}_live_rm`),
];
const [rebuildEs, rebuildRm, liveEs, liveRm] = urls as [string, string, string, string];
const ms = (n: number) => `${Math.round(n)} ms`;
const say = (line: string) => console.log(line);

async function rebuildBench(): Promise<{ stored: number; applied: number; runs: RebuildResult[] }> {
  const es = connect(rebuildEs, { max: 8, applicationName: "bench_projector" });
  const rm = connect(rebuildRm, { max: 2, applicationName: "bench_projector" });
  const store = new EventStore(es, { upcasters });
  try {
    await migrate(es, "event_store");
    await migrate(rm, "read_model");
    const started = performance.now();
    await seedEvents(store, EVENTS, { lanes: 8, chunk: 2000 });
    const [counts] = await es<{ stored: number; applied: number }[]>`
      SELECT count(*)::int AS stored,
        count(*) FILTER (WHERE event_type = ANY(${[...productsProjection.eventTypes!]}))::int
          AS applied
      FROM events`;
    say(`(a) stored ${counts!.stored} events in ${ms(performance.now() - started)}`);
    await es`VACUUM ANALYZE events`;
    await es`CHECKPOINT`.catch(() => {});
    const runs: RebuildResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await rebuildProjection(productsProjection, {
        store,
        readModelUrl: rebuildRm,
        batchSize: 10_000,
      });
      runs.push(r);
      say(
        `    rebuild ${i + 1}: ${ms(r.ms)}, ${
          Math.round(counts!.applied / r.ms * 1000)
        } applied events/s ` +
          `(bulk ${ms(r.phases.bulkMs)}, indexes ${ms(r.phases.finishMs)}, swap ${
            ms(r.phases.pausedMs)
          })`,
      );
    }
    return { stored: counts!.stored, applied: counts!.applied, runs };
  } finally {
    store.close();
    await Promise.all([es.end(), rm.end()]);
  }
}

async function liveBench(rate: number, seconds: number, seed: number) {
  const es = connect(liveEs, { max: 10, applicationName: "bench_projector" });
  const rm = connect(liveRm, { max: 2, applicationName: "bench_projector" });
  const store = new EventStore(es, { upcasters });
  const names = readModelProjections.map((p) => p.name);
  let projector: Awaited<ReturnType<typeof spawnProjector>> | undefined;
  try {
    await migrate(es, "event_store");
    await migrate(rm, "read_model");
    const total = Math.ceil(rate * (seconds + WARMUP_S) / 0.9);
    const workload = buildWorkload(total, { seed });
    // The catalogue to start from (the first tenth: categories, products, stock), in bulk.
    const preload = Math.floor(total * 0.1);
    await appendWorkload(store, workload.slice(0, preload), 2000);
    projector = await spawnProjector({ eventStoreUrl: liveEs, readModelUrl: liveRm });
    await waitForHead(rm, es, names, 120_000);
    say(`(b) ${rate} commands/s for ${seconds} s after ${WARMUP_S} s of warm-up…`);
    return await measureLiveLag(store, liveRm, rm, names, workload.slice(preload), {
      rate,
      warmupMs: WARMUP_S * 1000,
    });
  } finally {
    await projector?.kill("SIGTERM");
    store.close();
    await Promise.all([es.end(), rm.end()]);
  }
}

try {
  for (const url of urls) await ensureDatabase(url);
  const machine = connect(rebuildEs, { max: 1 });
  const described = await describeMachine(machine, server);
  await machine.end();
  const loadBefore = Deno.loadavg();
  const rebuild = await rebuildBench();
  const live = await liveBench(RATE, SECONDS, 42);
  // For comparison, the same at a lower rate, on the same databases (new streams).
  const reference = await liveBench(REFERENCE_RATE, 10, 43);
  const loadAfter = Deno.loadavg();

  const sorted = [...rebuild.runs].sort((a, b) => a.ms - b.ms);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  // Only the events the projection applies are read and applied: the rate counts those.
  const rate = rebuild.applied / median.ms * 1000;
  const all = live.lags.get("all")!;
  const p50 = quantile(all, 0.5), p99 = quantile(all, 0.99);
  const lagRows = [...live.lags].map(([name, values]) =>
    `| ${name === "all" ? "**every projection**" : name} | ${quantile(values, 0.5).toFixed(1)} | ${
      quantile(values, 0.95).toFixed(1)
    } | ${quantile(values, 0.99).toFixed(1)} | ${values.at(-1)!.toFixed(1)} |`
  );
  const verdict = (ok: boolean) => ok ? "met" : "NOT met";
  const summary = `rebuild products: ${Math.round(rate)} applied events/s; live lag p50 ${
    p50.toFixed(1)
  } ms, p99 ${p99.toFixed(1)} ms at ${Math.round(live.rate)} commands/s`;
  const body = [
    measuredBy("bench:projector", loadBefore, loadAfter),
    "",
    ...described,
    "",
    `### Rebuild of the products projection from ${
      rebuild.stored.toLocaleString("en-US")
    } stored events`,
    "",
    `The store holds a realistic mix (categories, products, stock, updates, price changes, orders with`,
    `their reservations and sagas); ${
      rebuild.applied.toLocaleString("en-US")
    } of the events are of types the products projection`,
    `applies, and only those are read. Each run is a full blue-green rebuild: fresh tables, filled,`,
    `made durable and indexed, caught up, swapped in. Median of ${RUNS} runs, batches of 10,000.`,
    "",
    "| run | total | applied events/s | (stored events ÷ time) | fill | logged + indexes + ANALYZE | swap (lease held) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rebuild.runs.map((r, i) =>
      `| ${i + 1} | ${ms(r.ms)} | ${
        Math.round(rebuild.applied / r.ms * 1000).toLocaleString("en-US")
      } | ${Math.round(rebuild.stored / r.ms * 1000).toLocaleString("en-US")} | ${
        ms(r.phases.bulkMs)
      } | ${ms(r.phases.finishMs)} | ${ms(r.phases.pausedMs)} |`
    ),
    "",
    `### Live lag at ${RATE} commands/s`,
    "",
    `${
      live.commands.toLocaleString("en-US")
    } single-event commands appended through the EventStore at ${Math.round(live.rate)} per second`,
    `(open loop, a stream's commands in order), ${
      live.events.toLocaleString("en-US")
    } measured after ${WARMUP_S} s of warm-up. One projector`,
    "process with its default settings (batches of up to 500, LISTEN wake-ups, 500 ms polls).",
    "Lag: from the append's commit, as the appender sees it, to the change-feed notice of the",
    "batch that moved the projection's checkpoint past the event (the moment a read with the",
    'event\'s consistency token is answered); "every projection" is the last of the five.',
    "",
    "| lag (ms) | p50 | p95 | p99 | max |",
    "|---|---:|---:|---:|---:|",
    ...lagRows,
    "",
    "Targets (issue 6):",
    "",
    `- rebuild of the products projection: ${
      Math.round(rate).toLocaleString("en-US")
    } applied events/s, goal ≥ ${REBUILD_TARGET.toLocaleString("en-US")}: ${
      verdict(rate >= REBUILD_TARGET)
    }`,
    `- live lag p99 (every projection): ${p99.toFixed(1)} ms, goal ≤ ${LAG_TARGET_MS} ms: ${
      verdict(p99 <= LAG_TARGET_MS)
    }`,
    "",
    "How it is done:",
    "",
    "- Rebuild: the new tables are unlogged while filled, with only their keys and B-tree",
    "  indexes; the GIN (trigram, JSON) indexes are built once, after the bulk; hash and merge",
    "  joins are off in the projector's transactions (handlers join a batch to their tables by",
    "  key, and the planner's guess of 100 rows for a JSON recordset made it scan whole tables);",
    "  the next page of events is read while one is applied; events of other types are not read.",
    "  A batch is planned as few set-based statements as the events allow: events of different",
    "  entities go together, one statement per type; category events are keyed by category",
    "  (a category's creation or rename writes its name onto its products whichever runs",
    "  first), and of a product's stock events only the last of the batch is applied, as each",
    "  carries the whole stock. A batch of 10,000 events runs about 30 statements (it ran about",
    "  480 while category events were barriers that split it), sent back to back: each is built",
    "  while the server runs the one before (on 2026-12-06 that took the rebuild from 27,401 to",
    "  30,053 and 30,174 applied events/s, in runs minutes apart).",
    "- Live: one LISTEN connection wakes every projection, and the five read each page of",
    "  events once between them; an event committed but not yet readable gap-safely (an older",
    "  transaction still running) is read again after 2, 4, 8, 16 ms rather than at the next",
    "  poll; the batches one notice brings the projections share one transaction (the",
    "  projections' statements go out side by side, and each batch's back to back; a handler",
    "  that reads its own statement's answer waits for those before it; BEGIN and one lease",
    "  fence for all travel with the first statements, one checkpoint write,",
    "  one statement of change-feed NOTIFYs and COMMIT together), committed without waiting",
    "  for its WAL flush (a server crash can only lose whole batches with their checkpoints,",
    "  which are then applied again).",
    "- Where the time goes: products and statistics run several statements per batch, the",
    "  other three fewer; with the load generator, both PostgreSQL servers and the projector on",
    "  two cores, the CPU is saturated at 500 commands/s, and batches queue. For comparison, at",
    `  ${REFERENCE_RATE} commands/s (${
      reference.events.toLocaleString("en-US")
    } events measured) every projection had passed an event after p50 ${
      quantile(reference.lags.get("all")!, 0.5).toFixed(1)
    } ms, p99 ${quantile(reference.lags.get("all")!, 0.99).toFixed(1)} ms.`,
    "- The machine is shared with other work; the load averages above say how busy it was.",
    "",
    `Summary: \`${summary}\``,
  ];
  await writeSection(new URL("../docs/benchmarks.md", import.meta.url).pathname, "Projector", body);
  say("");
  say(body.join("\n"));
} finally {
  for (const url of urls) await dropDatabase(url).catch(() => {});
  await servers.stop();
}
