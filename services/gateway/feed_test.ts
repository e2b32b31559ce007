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
import { LONE_GATEWAY } from "@shared/testing/lone_gateway.ts";
import { sseSubscribe, type SseSubscription } from "@shared/testing/sse.ts";
import { type GatewayOptions, startGateway } from "./app.ts";

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

/** A gateway whose only dependency is the read model's change feed (no service answers). */
function feedGateway(readModelUrl: string, options: Partial<GatewayOptions> = {}) {
  return startGateway({
    ...LONE_GATEWAY,
    port: 0,
    host: "127.0.0.1",
    readModelUrl,
    logger: silentLogger,
    ...options,
  });
}

Deno.test("a subscription ends with UNAVAILABLE when the change feed missed changes, and only then", async () => {
  const db = await createTestDatabases();
  const server = await feedGateway(db.readModelUrl, { changeFeedRetryMs: RECONNECT_MS });
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

Deno.test("past its limit of open subscriptions the gateway refuses a new one, and takes one again when another closes", async () => {
  const db = await createTestDatabases();
  const server = await feedGateway(db.readModelUrl, { maxSubscriptions: 2 });
  const base = `http://127.0.0.1:${server.port}`;
  const open: SseSubscription[] = [];
  let n = 0;
  // Opens one and sees it receive a change: it is registered with the feed.
  const subscribe = async () => {
    const sub = await sseSubscribe(base, DELETED);
    open.push(sub);
    const id = await project(db.readModel, ++n);
    for (const each of open) assert.deepEqual(await each.next(), { productDeleted: id });
    return sub;
  };
  try {
    const first = await subscribe();
    await subscribe();
    const refused = await sseSubscribe(base, DELETED);
    try {
      const res = await refused.result();
      assert.equal(res.errors?.[0]?.extensions?.code, "UNAVAILABLE", JSON.stringify(res));
      assert.match(res.errors![0]!.message, /limit is 2 \(GRAPHQL_MAX_SUBSCRIPTIONS\)/);
    } finally {
      await refused.close();
    }
    // Once one closes, a new subscriber is let in, and it and the other hear the next change.
    await first.close();
    open.splice(open.indexOf(first), 1);
    // The gateway learns of the close a moment later: until then a new one is still refused.
    for (let i = 0; i < 50 && open.length < 2; i++) {
      const sub = await sseSubscribe(base, DELETED);
      // Let in: nothing comes until the next change. Refused: the error comes at once.
      const refusal = await sub.result(200).catch(() => undefined);
      if (refusal) await sub.close();
      else open.push(sub);
    }
    const id = await project(db.readModel, ++n);
    assert.equal(open.length, 2);
    for (const each of open) assert.deepEqual(await each.next(), { productDeleted: id });
  } finally {
    for (const sub of open) await sub.close();
    await server.stop();
    await db.drop();
  }
});
