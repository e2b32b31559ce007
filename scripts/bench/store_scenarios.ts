/**
 * The workloads of the event store benchmark. Each runs for a fixed time
 * with a number of concurrent writers and returns events appended per second.
 */
import type { Sql } from "@shared/db/connect.ts";
import { ConcurrencyError, type EventStore } from "@shared/event_store/mod.ts";
import { commit } from "@shared/application/commit.ts";
import type { Envelope } from "@shared/application/envelope.ts";

/** The caller the benchmark appends as: staff, as the services see a clerk. */
const BENCH_ACTOR = { subject: "bench", roles: ["staff" as const] };
import { newProductEffects } from "../../services/command/lookups/products.ts";

/** The payload every workload appends, raw INSERT included. */
export const PAYLOAD = { n: 1, text: "hello" };

/** Runs `writers` loops of `step` for `seconds`; `step` returns the events it appended. */
export async function loop(
  writers: number,
  seconds: number,
  step: (writer: number) => Promise<number>,
): Promise<number> {
  let events = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    while (performance.now() < end) {
      // Not `events += await step(w)`: that reads `events` before the await and loses updates.
      const appended = await step(w);
      events += appended;
    }
  }));
  return events / ((performance.now() - start) / 1000);
}

/** Raw one-row-per-transaction INSERTs with pgbench, `clients` connections; undefined without pgbench or when it fails. */
export async function pgbenchRate(
  url: string,
  clients: number,
  seconds: number,
): Promise<number | undefined> {
  const script = await Deno.makeTempFile({ suffix: ".sql" });
  try {
    await Deno.writeTextFile(
      script,
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data, event_metadata, event_version) VALUES (gen_random_uuid(), gen_random_uuid(), 'Bench', 'Happened', '${
        JSON.stringify(PAYLOAD)
      }', '{}', 1);\n`,
    );
    const out = await new Deno.Command("pgbench", {
      args: [
        "-n",
        "-M",
        "prepared",
        "-f",
        script,
        "-c",
        String(clients),
        "-j",
        String(Math.min(clients, 2)),
        "-T",
        String(seconds),
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text)?.[1];
    if (!out.success || !tps) {
      // A cell left empty, not a run lost: on a shared server its connections can run out.
      console.error(`pgbench failed: ${text}${new TextDecoder().decode(out.stderr)}`);
      return undefined;
    }
    return Number(tps);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  } finally {
    await Deno.remove(script);
  }
}

/** The same raw INSERT from this process through postgres.js: the client's own ceiling. */
export function rawLoop(sql: Sql, writers: number, seconds: number): Promise<number> {
  const data = JSON.stringify(PAYLOAD);
  return loop(writers, seconds, async () => {
    await sql`INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
      event_metadata, event_version)
      VALUES (gen_random_uuid(), gen_random_uuid(), 'Bench', 'Happened', ${data}::text::jsonb, '{}', 1)`;
    return 1;
  });
}

/** Appends of `size` events, each to a new stream ("no stream" expected). */
export function newStreams(
  store: EventStore,
  writers: number,
  seconds: number,
  size: number,
  commandIds = false,
): Promise<number> {
  const events = Array.from({ length: size }, (_, i) => ({
    type: "Happened",
    data: { ...PAYLOAD, n: i },
  }));
  return loop(writers, seconds, async () => {
    await store.append(crypto.randomUUID(), events, {
      aggregateType: "Bench",
      expectedVersion: "no_stream",
      ...(commandIds ? { commandId: crypto.randomUUID() } : {}),
    });
    return size;
  });
}

/**
 * Single-event appends to a few hot streams with the version the writer last
 * saw: writers collide, and a loser retries with the version the conflict
 * reported, as a command handler reloading the stream would.
 */
export async function hotStreams(
  store: EventStore,
  writers: number,
  seconds: number,
  streams: number,
): Promise<{ rate: number; conflicts: number }> {
  const ids = Array.from({ length: streams }, () => crypto.randomUUID());
  const known = new Map<string, number>();
  let conflicts = 0;
  const rate = await loop(writers, seconds, async (w) => {
    const id = ids[w % streams]!;
    const version = known.get(id) ?? 0;
    try {
      const result = await store.append(id, [{ type: "Happened", data: PAYLOAD }], {
        aggregateType: "Bench",
        expectedVersion: version === 0 ? "no_stream" : version,
      });
      known.set(id, Math.max(known.get(id) ?? 0, result.nextVersion));
      return 1;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      conflicts++;
      known.set(id, Math.max(known.get(id) ?? 0, err.actual));
      return 0;
    }
  });
  return { rate, conflicts };
}

/** The part of Emmett's PostgreSQL event store the benchmark uses. */
export interface EmmettStore {
  appendToStream(
    stream: string,
    events: { type: string; data: unknown }[],
    options?: { expectedStreamVersion?: bigint },
  ): Promise<unknown>;
  close(): Promise<void>;
  schema: { dangerous: { truncate(): Promise<void> } };
}

/**
 * Opens Emmett 0.42 (@event-driven-io/emmett-postgresql), installed from npm
 * for the benchmark only. The specifier is built at run time so that type
 * checks and CI never fetch it.
 */
export async function openEmmett(url: string): Promise<EmmettStore> {
  const specifier = ["npm:@event-driven-io", "emmett-postgresql@0.42.0"].join("/");
  const emmett = await import(specifier) as {
    getPostgreSQLEventStore(url: string): EmmettStore;
  };
  const store = emmett.getPostgreSQLEventStore(url);
  // The first append creates Emmett's schema.
  await store.appendToStream(`warmup-${crypto.randomUUID()}`, [{
    type: "Happened",
    data: PAYLOAD,
  }]);
  return store;
}

/** Emmett's appendToStream of one event to a new stream, at the same concurrency. */
export function emmettNewStreams(
  store: EmmettStore,
  writers: number,
  seconds: number,
): Promise<number> {
  return loop(writers, seconds, async () => {
    await store.appendToStream(`bench-${crypto.randomUUID()}`, [{
      type: "Happened",
      data: PAYLOAD,
    }], {
      expectedStreamVersion: 0n,
    });
    return 1;
  });
}

/**
 * Appends as the command service's createProduct commits them, through the
 * same function (`commit`): one ProductCreated to a new stream with a command
 * id, the envelope's metadata and the answer's view in it, and the effects
 * in the append's transaction (the category's lookup row held FOR SHARE,
 * the product's lookup row inserted). Only the load of the aggregates and
 * the decision are left out. `categoryId` must be a live row of
 * `category_lookup`.
 */
export function productionAppends(
  store: EventStore,
  writers: number,
  seconds: number,
  categoryId: string,
): Promise<number> {
  let n = 0;
  return loop(writers, seconds, async () => {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    const name = `Bench product ${n++}`;
    const envelope: Envelope = {
      commandId: crypto.randomUUID(),
      metadata: {
        correlationId: crypto.randomUUID(),
        userId: "bench",
        traceparent: `00-${crypto.randomUUID().replaceAll("-", "")}-${"0".repeat(15)}1-01`,
        inputHash: "0".repeat(64),
      },
      at,
      internal: false,
      actor: BENCH_ACTOR,
      inputHash: "0".repeat(64),
    };
    const data = { id, name, description: null, price: "19.99", categoryId, createdAt: at };
    await commit(store, [{
      streamId: id,
      aggregateType: "Product",
      events: [{ type: "ProductCreated", data }],
      loadedVersion: 0,
    }], {
      envelope,
      // createProduct's own effects.
      effects: newProductEffects({ id, categoryId, name }),
      view: () => ({ ...data, stock: 0, updatedAt: at }),
    });
    return 1;
  });
}
