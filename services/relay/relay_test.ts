import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventStore, type NewEvent } from "@shared/event_store/mod.ts";
import { createTestDatabases, type TestDatabases } from "@shared/testing/db.ts";
import { startNotifications } from "../../examples/notifications/notifications.ts";

const NATS_URL = Deno.env.get("TEST_NATS_URL") ?? "nats://127.0.0.1:4222";
const root = fileURLToPath(new URL("../../", import.meta.url));

async function connectNats(): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, reconnect: false });
  } catch (err) {
    throw new Error(
      `This test needs NATS with JetStream at ${NATS_URL} (set TEST_NATS_URL): ${err}`,
      { cause: err },
    );
  }
}

/** 5,000 events: 250 orders placed and confirmed, and 90 stock counts of each of 50 products. */
async function appendEvents(store: EventStore): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  const at = new Date().toISOString();
  const write = async (id: string, aggregateType: string, events: NewEvent[]) => {
    const withIds = events.map((e) => ({ ...e, eventId: crypto.randomUUID() }));
    expected.set(id, withIds.map((e) => e.eventId));
    await store.append(id, withIds, { aggregateType, expectedVersion: "no_stream" });
  };
  const orders = Array.from({ length: 250 }, () => crypto.randomUUID());
  const products = Array.from({ length: 50 }, () => crypto.randomUUID());
  await Promise.all([
    ...orders.map((id) =>
      write(id, "Order", [
        {
          type: "OrderCreated",
          data: {
            id,
            customerId: crypto.randomUUID(),
            status: "pending",
            items: [{
              productId: products[0]!,
              productName: "Lamp",
              quantity: 1,
              unitPrice: "10.00",
              discountRate: "0",
              lineTotal: "10.00",
            }],
            subtotal: "10.00",
            tax: "1.00",
            shipping: "0.00",
            total: "11.00",
            shippingAddress: {},
            createdAt: at,
          },
        },
        {
          type: "OrderStatusChanged",
          data: { id, from: "pending", to: "confirmed", reason: null, changedAt: at },
        },
      ])
    ),
    ...products.map((id) =>
      write(
        id,
        "Inventory",
        Array.from({ length: 90 }, (_, i) => ({
          type: "StockSet",
          data: { productId: id, quantity: i + 1, previousQuantity: i, setAt: at },
        })),
      )
    ),
  ]);
  return expected;
}

function spawnRelay(db: TestDatabases, stream: string, prefix: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "services/relay/main.ts"],
    cwd: root,
    env: {
      EVENT_STORE_URL: db.eventStoreUrl,
      NATS_URL,
      RELAY_STREAM: stream,
      RELAY_SUBJECT_PREFIX: prefix,
      RELAY_HTTP_PORT: "0",
      // Small batches, so that the kill lands between checkpoints.
      RELAY_BATCH_SIZE: "50",
      RELAY_POLL_MS: "50",
      RELAY_LEASE_CHECK_MS: "100",
      LOG_LEVEL: "error",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("the relay publishes every event once, in order per aggregate, across a SIGKILL", async () => {
  const nc = await connectNats();
  const db = await createTestDatabases();
  const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
  const stream = `RELAY_TEST_${tag}`;
  const prefix = `relaytest_${tag}`;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: 120e9 });
  const store = new EventStore(db.eventStore);
  const children = new Set<Deno.ChildProcess>();
  const notifications = await startNotifications(nc, { stream, durable: "notifications" });
  try {
    const expected = await appendEvents(store);
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    assert.equal(total, 5000);
    const stored = async () => (await jsm.streams.info(stream)).state.messages;

    const first = spawnRelay(db, stream, prefix);
    children.add(first);
    await until("the first publishes", async () => (await stored()) >= 1000);
    first.kill("SIGKILL");
    await first.status;
    children.delete(first);
    const atKill = await stored();
    assert.ok(atKill < total, `the relay was killed mid-way (${atKill} of ${total} stored)`);

    const second = spawnRelay(db, stream, prefix);
    children.add(second);
    // The head in the global order, (transaction, id): with concurrent appends the
    // greatest id need not be the last event, so max(id) is no head to wait for.
    const [last] = await db.eventStore<{ tx: string; head: string }[]>`
      SELECT transaction_id::text AS tx, id::text AS head FROM events
      ORDER BY transaction_id DESC, id DESC LIMIT 1`;
    await until("the checkpoint at the head", async () => {
      const [row] = await db.eventStore<{ tx: string; position: string }[]>`
        SELECT transaction_id::text AS tx, position::text FROM relay_checkpoints
        WHERE name = 'integration_relay'`;
      return row?.tx === last?.tx && row?.position === last?.head;
    });
    second.kill("SIGTERM");
    await second.status;
    children.delete(second);

    // The stream holds every event exactly once, each aggregate's in stream order.
    assert.equal(await stored(), total);
    const ordered = await jetstream(nc).consumers.get(stream);
    const byAggregate = new Map<string, string[]>();
    const all = new Set<string>();
    const messages = await ordered.consume();
    for await (const m of messages) {
      const event = m.json<{ id: string; aggregateId: string }>();
      assert.equal(m.headers?.get("Nats-Msg-Id"), event.id);
      all.add(event.id);
      const list = byAggregate.get(event.aggregateId) ?? [];
      list.push(event.id);
      byAggregate.set(event.aggregateId, list);
      if (m.info.pending === 0) break;
    }
    await messages.close();
    assert.equal(all.size, total);
    assert.deepEqual(byAggregate, expected);

    // The example consumer saw each event exactly once.
    await until(
      "the consumer to catch up",
      () => Promise.resolve(notifications.handled.length >= total),
    );
    assert.equal(notifications.handled.length, total);
    assert.equal(new Set(notifications.handled).size, total);
    assert.equal(new Set(notifications.notices.map((n) => n.orderId)).size, 250);
    assert.equal(notifications.notices.length, 250);
  } finally {
    for (const child of children) {
      child.kill("SIGKILL");
      await child.status;
    }
    await notifications.stop();
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
    store.close();
    await db.drop();
  }
});
