/**
 * The change feed behind subscriptions: a subscriber never silently misses a
 * change. When the feed's LISTEN connection was down while a projection
 * moved on, every subscription ends with an error saying so.
 */
import assert from "node:assert/strict";
import type { Sql } from "@shared/db/connect.ts";
import type { Position, RecordedEvent } from "@shared/event_store/mod.ts";
import { publishChanges } from "@shared/projection/change_feed.ts";
import { writeCheckpoint } from "@shared/projection/checkpoint.ts";
import { PRODUCTS } from "@shared/read_models/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { silentLogger } from "@shared/testing/projection.ts";
import { sseSubscribe } from "@shared/testing/sse.ts";
import { startGateway } from "./app.ts";

const DELETED = `subscription { productDeleted }`;
/** Long enough that a change made while the feed is down is surely made before it is back. */
const RECONNECT_MS = 1500;

/** A projector's batch as the read model holds it: checkpoint and notice in one transaction. */
async function project(readModel: Sql, n: number): Promise<string> {
  const id = crypto.randomUUID();
  const position: Position = { transactionId: String(1000 + n), id: String(n) };
  const event = { type: "ProductDeleted", aggregateId: id, data: { id }, position };
  await readModel.begin(async (tx) => {
    await writeCheckpoint(tx, PRODUCTS, position);
    await publishChanges(tx, PRODUCTS, position, [event as unknown as RecordedEvent]);
  });
  return id;
}

async function listenerPid(readModel: Sql): Promise<number | undefined> {
  const [row] = await readModel<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity
    WHERE application_name = 'gateway-feed' AND datname = current_database()
      AND query ILIKE 'LISTEN%'`;
  return row?.pid;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Ends the feed's LISTEN session; runs `meanwhile` once it is gone, then waits for the next. */
async function dropListener(readModel: Sql, meanwhile: () => Promise<unknown>): Promise<void> {
  const pid = await until("the feed's LISTEN", () => listenerPid(readModel));
  await readModel`SELECT pg_terminate_backend(${pid})`;
  await until(
    "the LISTEN to end",
    async () => (await listenerPid(readModel)) === pid ? undefined : true,
  );
  await meanwhile();
  await until("the LISTEN to come back", async () => {
    const now = await listenerPid(readModel);
    return now !== undefined && now !== pid ? now : undefined;
  });
}

Deno.test("a subscription ends with UNAVAILABLE when the change feed missed changes, and only then", async () => {
  const db = await createTestDatabases();
  const server = await startGateway({
    port: 0,
    host: "127.0.0.1",
    commandAddress: "127.0.0.1:1",
    queryAddress: "127.0.0.1:1",
    readModelUrl: db.readModelUrl,
    changeFeedRetryMs: RECONNECT_MS,
    logger: silentLogger,
    cache: false,
  });
  const base = `http://127.0.0.1:${server.port}`;
  const sub = await sseSubscribe(base, DELETED);
  let n = 0;
  try {
    // Registered with the feed once a notice reaches it.
    const first = await project(db.readModel, ++n);
    assert.deepEqual(await sub.next(), { productDeleted: first });

    // Down and back with nothing changed meanwhile: the subscription carries on.
    await dropListener(db.readModel, async () => {});
    const second = await project(db.readModel, ++n);
    assert.deepEqual(await sub.next(), { productDeleted: second });

    // A change while it is down: its notice is lost, so the subscription says so and ends.
    let missed = "";
    await dropListener(db.readModel, async () => missed = await project(db.readModel, ++n));
    const ended = await sub.result();
    assert.equal(ended.data ?? null, null, `no data for the missed ${missed}`);
    assert.equal(ended.errors?.[0]?.extensions?.code, "UNAVAILABLE");
    assert.match(ended.errors![0]!.message, /lost its change feed.*products changed meanwhile/);
    assert.deepEqual(ended.errors![0]!.extensions?.projections, [PRODUCTS]);

    // A new subscription hears what comes next.
    const again = await sseSubscribe(base, DELETED);
    try {
      const later = await project(db.readModel, ++n);
      assert.deepEqual(await again.next(), { productDeleted: later });
    } finally {
      await again.close();
    }
  } finally {
    await sub.close();
    await server.stop();
    await db.drop();
  }
});
