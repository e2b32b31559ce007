/**
 * `deno task bench:store`: the event store's append rate against the raw
 * INSERT limit of the same PostgreSQL (pgbench) and against Emmett 0.42, at
 * 1, 8 and 32 concurrent writers. The headline row appends as the command
 * service does (createProduct's `commit`: command id, metadata, effects in
 * the transaction); lighter variants follow it. Prints a table, rewrites the "Event store"
 * section of docs/benchmarks.md, and ends with the one-line summary.
 *
 * BENCH_DATABASE_URL: a server to measure on (a scratch database is created
 * and dropped there); without it an embedded PostgreSQL is started.
 * BENCH_SECONDS (default 4) per measurement, BENCH_ROUNDS (default 3): each
 * cell is the median of its rounds, the rounds interleaved so that a slow
 * spell of the machine does not land on one row only.
 */
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";
import { migrate } from "@shared/db/migrate.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { describeMachine, measuredBy, type Row, table, writeSection } from "./bench/report.ts";
import {
  emmettNewStreams,
  hotStreams,
  newStreams,
  openEmmett,
  pgbenchRate,
  productionAppends,
  rawLoop,
} from "./bench/store_scenarios.ts";

/** How the numbers come about; true whatever they are. */
const NOTES = [
  "How to read it:",
  "",
  "- Group commit: appends made while a batch is in flight wait and go together into the next",
  "  one, at most 2 batches in flight per store. A batch is one SQL statement (its own",
  "  transaction: one round trip, one commit flush) that takes the streams' advisory locks,",
  "  checks and advances every stream's version, inserts all events with `unnest` and returns",
  "  each command's outcome; a command whose check fails gets its ConcurrencyError, the others",
  "  commit. More writers means bigger batches, so the rate grows with concurrency while raw",
  "  INSERT is capped by one commit per row.",
  "- The headline row appends as createProduct does, through the command service's `commit`:",
  "  a command id (its result stored for retries), the envelope's metadata with the answer",
  "  the mutation gives, and effects in the same transaction (the category's lookup row held",
  "  FOR SHARE, the product's lookup row inserted). createProduct's effects are statements",
  "  given as data, whose checks raise in SQL. A command alone in its batch (always so at one",
  "  writer) is one statement: its append with the effects folded in, its own transaction.",
  "  The commands with effects of a larger batch share one transaction: BEGIN, one append",
  "  statement for all of them, their effect statements and COMMIT go out together, one",
  "  round trip. If any of them fails, nothing is written and each runs again in a",
  "  transaction of its own. Simple appends share one statement beside it. The lighter rows",
  "  below are variants the services do not use for createProduct.",
  "- One writer has nothing to batch with: each append waits for its own commit, so its rate",
  "  is bounded by the round trip from this process plus the commit flush. The",
  '  "raw INSERT, postgres.js" row is that bound for the same client (Deno and postgres.js);',
  "  pgbench, a C client in its own process, has a shorter round trip.",
  "- The machine is shared by other work (tests, type checks) that can run during a",
  "  measurement; cells are medians of interleaved rounds to damp that, but single cells can",
  "  still be off by 20% or more. The CPU pressure line above says how busy it was.",
];

function target(name: string, r: number | undefined, goal: number): string {
  if (r === undefined) return `${name}: not measured (goal ≥ ${goal.toFixed(1)}x)`;
  return `${name}: ${r.toFixed(2)}x, goal ≥ ${goal.toFixed(1)}x: ${r >= goal ? "met" : "NOT met"}`;
}

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 4);
const rounds = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const concurrency = [1, 8, 32];
const CATEGORY = crypto.randomUUID();
const loadBefore = Deno.loadavg();

let serverUrl = Deno.env.get("BENCH_DATABASE_URL");
let server = "BENCH_DATABASE_URL";
let stopServer = async () => {};
if (!serverUrl) {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-bench-pg-" });
  const embedded = await startEmbeddedPostgres({ dataDir });
  serverUrl = embedded.url;
  server = "embedded";
  stopServer = async () => {
    await embedded.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
}
const url = withDatabase(serverUrl, `bench_store_${crypto.randomUUID().slice(0, 8)}`);
await ensureDatabase(url);
const sql = connect(url, { max: 10, applicationName: "bench_store" });
const emmett = await openEmmett(url).catch((err) => {
  console.error(`Emmett could not start, its rows stay empty: ${err}`);
  return undefined;
});

try {
  await migrate(sql, "event_store");
  const store = new EventStore(sql);
  const reset = async () => {
    await sql`TRUNCATE events, streams, command_results, snapshots, product_lookup, category_lookup`;
    // The live category every production-path append holds FOR SHARE.
    await sql`INSERT INTO category_lookup (category_id, parent_id, name, name_key, version)
      VALUES (${CATEGORY}, NULL, 'Bench', 'bench', 1)`;
    await emmett?.schema.dangerous.truncate();
    await sql`CHECKPOINT`.catch(() => {});
  };
  const scenarios: {
    name: string;
    note?: string;
    run: (c: number) => Promise<number | undefined>;
  }[] = [
    {
      name: "raw INSERT, pgbench",
      note: "one row per transaction, same table",
      run: (c) => pgbenchRate(url, c, seconds),
    },
    {
      name: "**append as createProduct commits**",
      note: "production path: command id, metadata with the answer, effects (lookup rows)",
      run: (c) => productionAppends(store, c, seconds, CATEGORY),
    },
    {
      name: "Emmett appendToStream, new stream, 1 event",
      note: "@event-driven-io/emmett-postgresql 0.42.0",
      run: (c) => emmett ? emmettNewStreams(emmett, c, seconds) : Promise.resolve(undefined),
    },
    {
      name: "raw INSERT, postgres.js",
      note: "the same from this process: the client's ceiling",
      run: (c) => rawLoop(sql, c, seconds),
    },
    {
      name: "append, new stream, 1 event, command id",
      note: "idempotent: result stored; no effects",
      run: (c) => newStreams(store, c, seconds, 1, true),
    },
    {
      name: "append, new stream, 1 event",
      note: "no command id, no effects: not how the services append",
      run: (c) => newStreams(store, c, seconds, 1),
    },
    { name: "append, new stream, 10 events", run: (c) => newStreams(store, c, seconds, 10) },
    {
      name: "append, 4 hot streams, 1 event",
      note: "successful appends; conflicts retried",
      run: async (c) => (await hotStreams(store, c, seconds, 4)).rate,
    },
  ];
  // Rounds, then concurrency, then scenario, the compared ones first: the cells of a ratio
  // are measured seconds apart, and each ratio is the median of its per-round ratios.
  const samples = scenarios.map(() => concurrency.map((): (number | undefined)[] => []));
  for (let round = 1; round <= rounds; round++) {
    for (const [i, c] of concurrency.entries()) {
      for (const [s, scenario] of scenarios.entries()) {
        await reset();
        const rate = await scenario.run(c);
        samples[s]![i]!.push(rate);
        console.log(
          `round ${round}/${rounds} ${scenario.name} @${c}: ${
            rate === undefined ? "–" : Math.round(rate)
          }/s`,
        );
      }
    }
  }
  const median = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return known.length === 0 ? undefined : known[Math.floor(known.length / 2)]!;
  };
  const rows: Row[] = scenarios.map((s, i) => ({
    name: s.name,
    rates: samples[i]!.map(median),
    ...(s.note ? { note: s.note } : {}),
  }));
  const ratioOf = (of: number, to: number): Row => ({
    name: "",
    rates: concurrency.map((_, i) =>
      median(samples[of]![i]!.map((x, r) => {
        const y = samples[to]![i]![r];
        return x === undefined || y === undefined ? undefined : x / y;
      }))
    ),
  });
  const [, ours] = rows;
  const vsRaw = ratioOf(1, 0);
  const vsEmmett = ratioOf(1, 2);
  const vsClient = ratioOf(1, 3);
  const lines = table(concurrency, rows, [
    { name: "**production append ÷ raw pgbench**", ratios: vsRaw.rates },
    { name: "**production append ÷ raw postgres.js**", ratios: vsClient.rates },
    { name: "**production append ÷ Emmett**", ratios: vsEmmett.rates },
  ]);
  const machine = await describeMachine(sql, server);
  const targets = [
    target("32 writers, production append ÷ raw pgbench", vsRaw.rates[2], 1.5),
    target("1 writer, production append ÷ Emmett", vsEmmett.rates[0], 1.0),
    target("1 writer, production append ÷ raw INSERT from the same client", vsClient.rates[0], 0.9),
    target("1 writer, production append ÷ raw pgbench", vsRaw.rates[0], 0.9),
  ];
  const x = (r: number | undefined) => r === undefined ? "–" : r.toFixed(2);
  const summary = `production append@32: ${Math.round(ours!.rates[2] ?? 0)}/s, ${
    x(vsRaw.rates[2])
  }x pgbench; @1: ${Math.round(ours!.rates[0] ?? 0)}/s, ${x(vsEmmett.rates[0])}x Emmett, ${
    x(vsClient.rates[0])
  }x raw postgres.js, ${x(vsRaw.rates[0])}x pgbench`;
  await writeSection(new URL("../docs/benchmarks.md", import.meta.url).pathname, "Event store", [
    `${measuredBy("bench:store", loadBefore, Deno.loadavg())} ` +
    `${seconds} s per cell, median of ${rounds} interleaved rounds (ratios: median of the ` +
    "per-round ratios, each of two cells measured seconds apart), tables truncated and a " +
    "CHECKPOINT before each cell. Writers are concurrent async loops in one Deno process " +
    "sharing one EventStore (pool of 10 connections, group commit); pgbench runs as its own " +
    "process with one connection per client.",
    "",
    ...machine,
    "",
    ...lines,
    "",
    "Targets:",
    "",
    ...targets.map((t) => `- ${t}`),
    "",
    ...NOTES,
    "",
    `Summary: \`${summary}\``,
  ]);
  console.log("");
  console.log(machine.join("\n"));
  console.log("");
  console.log(lines.join("\n"));
  console.log("");
  console.log(targets.join("\n"));
  console.log(summary);
  store.close();
} finally {
  await emmett?.close();
  await sql.end();
  await dropDatabase(url).catch(() => {});
  await stopServer();
}
