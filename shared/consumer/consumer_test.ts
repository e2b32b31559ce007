import assert from "node:assert/strict";
import postgres from "postgres";
import type { TxSql } from "@shared/db/connect.ts";
import { EventStore, type RecordedEvent } from "@shared/event_store/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { silentLogger } from "@shared/testing/projection.ts";
import { createTestDatabases, type TestDatabases } from "@shared/testing/db.ts";
import { startStallingProxy } from "@shared/testing/stalling_proxy.ts";
import { checkpointTable } from "./checkpoint.ts";
import { BatchCommitter } from "./committer.ts";
import { listDeadLetters } from "./dead_letters.ts";
import { openLeaseSession } from "./lease.ts";
import { SharedReader } from "./reader.ts";
import type { ConsumerHandler } from "./types.ts";
import { startWakeup, type Wakeup } from "./wakeup.ts";
import { type Consumer, type ConsumerOptions, startConsumer } from "./worker.ts";

const PROJECTION_CHECKPOINTS = checkpointTable("projection_checkpoints", "projection");
const REACTOR_CHECKPOINTS = checkpointTable("saga_checkpoints", "name");

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Appends events `from` to `to` (excluded), one stream each: `Noted`, or `Poison` at `poison`. */
async function appendEvents(
  store: EventStore,
  from: number,
  to: number,
  poison: number[] = [],
): Promise<void> {
  for (let i = from; i < to; i++) {
    await store.append(crypto.randomUUID(), [{
      type: poison.includes(i) ? "Poison" : "Noted",
      data: { i },
    }], { aggregateType: "Note", expectedVersion: "no_stream" });
  }
}

/**
 * A projection-style handler: each `Noted` event becomes a row of `noted` in
 * the read model, in the batch's transaction; `Poison` throws; others are skipped.
 */
function notesProjection(name: string): ConsumerHandler {
  return {
    name,
    async apply(tx, events) {
      for (const event of events) {
        if (event.type === "Poison") throw new Error(`cannot note event ${event.data.i}`);
        if (event.type !== "Noted") continue;
        await tx`INSERT INTO noted (consumer, n) VALUES (${name}, ${event.data.i as number})`;
      }
    },
  };
}

interface Harness {
  db: TestDatabases;
  store: EventStore;
  wakeup: Wakeup;
  start(options: Partial<ConsumerOptions> & Pick<ConsumerOptions, "handler">): Consumer;
}

async function withRuntime(body: (h: Harness) => Promise<void>): Promise<void> {
  const db = await createTestDatabases();
  const store = new EventStore(db.eventStore);
  const wakeup = startWakeup(db.eventStoreUrl, { applicationName: "consumer-test-wakeup" });
  const consumers: Consumer[] = [];
  await db.readModel`CREATE TABLE noted (consumer text, n int, PRIMARY KEY (consumer, n))`;
  await db.eventStore`CREATE TABLE reacted (n int PRIMARY KEY)`;
  try {
    await body({
      db,
      store,
      wakeup,
      start(options) {
        const consumer = startConsumer({
          checkpoints: PROJECTION_CHECKPOINTS,
          databaseUrl: db.readModelUrl,
          sql: db.readModel,
          store,
          wakeup,
          applicationName: "consumer-test",
          batchSize: 3,
          pollMs: 50,
          deadLetters: true,
          leaseCheckMs: 50,
          logger: Deno.env.get("DEBUG_CONSUMER") ? createLogger("consumer-test") : silentLogger,
          ...options,
        });
        consumers.push(consumer);
        return consumer;
      },
    });
  } finally {
    for (const consumer of consumers) await consumer.stop();
    await wakeup.stop();
    store.close();
    await db.drop();
  }
}

Deno.test("one runtime drives a projection and a reactor, each exactly once, woken by NOTIFY", async () => {
  await withRuntime(async ({ db, store, start }) => {
    // The reactor: every Noted event gets a Reacted event in the store and a row in `reacted`,
    // the row committed with its checkpoint, beside the events.
    const reactions: RecordedEvent[] = [];
    const reactor: ConsumerHandler = {
      name: "reactor",
      async apply(tx: TxSql, events) {
        for (const event of events) {
          if (event.type !== "Noted") continue;
          reactions.push(event);
          await store.append(crypto.randomUUID(), [{ type: "Reacted", data: event.data }], {
            aggregateType: "Reaction",
            expectedVersion: "no_stream",
            commandId: event.eventId,
          });
          await tx`INSERT INTO reacted (n) VALUES (${event.data.i as number})`;
        }
      },
    };
    // Far longer than the test: only the wake-ups can bring the events in time.
    const pollMs = 60_000;
    const projection = start({ handler: notesProjection("notes"), pollMs });
    const reacting = start({
      handler: reactor,
      checkpoints: REACTOR_CHECKPOINTS,
      databaseUrl: db.eventStoreUrl,
      sql: db.eventStore,
      deadLetters: false,
      pollMs,
    });
    await Promise.all([projection.ready, reacting.ready]);
    assert.equal(projection.state.owned, true);
    assert.equal(reacting.state.owned, true);

    await appendEvents(store, 0, 10);
    const count = async (sql: typeof db.eventStore, table: string) =>
      (await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
    await until(async () => await count(db.eventStore, "reacted") === 10, "the reactor saw all");
    // The reactions are events too: the projection skips them.
    await until(async () => await count(db.readModel, "noted") === 10, "the projection saw all");

    assert.deepEqual(reactions.map((e) => e.data.i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(await count(db.eventStore, "reacted"), 10);
    const lastReacted = await db.eventStore<{ transaction_id: string; id: string }[]>`
      SELECT transaction_id::text, id::text FROM events WHERE event_type = 'Noted'
      ORDER BY transaction_id DESC, id DESC LIMIT 1`;
    await until(
      async () =>
        BigInt((await REACTOR_CHECKPOINTS.read(db.eventStore, "reactor")).id) >=
          BigInt(lastReacted[0]!.id),
      "the reactor's checkpoint passed its last input",
    );
    assert.deepEqual(
      (await db.readModel<{ n: number }[]>`SELECT n FROM noted ORDER BY n`).map((r) => r.n),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });
});

Deno.test("a wake-up that comes while a batch is applied is kept for the page read ahead of it", async () => {
  await withRuntime(async ({ db, store, wakeup, start }) => {
    // A full page makes the follower read the next one while it applies this one. Event 3
    // is appended during the batch of events 0 to 2, after that read began, and its wake-up
    // comes before the batch ends: the page read ahead has not seen the event, so the
    // follower must read again at once, not wait for the poll.
    const notes = notesProjection("ahead");
    let appended = false;
    const handler: ConsumerHandler = {
      name: "ahead",
      async apply(tx, events, scope) {
        if (!appended && events.some((e) => e.data.i === 2)) {
          appended = true;
          const woke = new Promise<void>((resolve) => {
            const off = wakeup.onWake(() => {
              off();
              resolve();
            });
          });
          // The read ahead was sent before this batch began; it answers in a few ms.
          await new Promise((r) => setTimeout(r, 100));
          await appendEvents(store, 3, 4);
          await woke;
        }
        await notes.apply(tx, events, scope);
      },
    };
    // Appended before it starts, so that its first page is full.
    await appendEvents(store, 0, 3);
    // A poll far longer than the test: only the wake-up can bring event 3 in time.
    const consumer = start({ handler, batchSize: 3, pollMs: 60_000 });
    await consumer.ready;
    const noted = async () =>
      (await db.readModel<{ n: number }[]>`SELECT n FROM noted ORDER BY n`).map((r) => r.n);
    await until(async () => (await noted()).length === 4, "event 3 is noted");
    assert.deepEqual(await noted(), [0, 1, 2, 3]);
  });
});

Deno.test("a shared read in flight serves the followers that were not woken since it began", async () => {
  await withRuntime(async ({ store }) => {
    const reader = new SharedReader(store);
    const start = { transactionId: "0", id: "0" };
    const first = reader.readAllPage(start, 10);
    assert.equal(reader.readAllPage(start, 10), first);
    // A follower woken after that read began: its event may have committed after the read's
    // snapshot, so it reads anew, and the followers woken before that share the new read.
    const wokenAt = performance.now();
    const second = reader.readAllPage(start, 10, wokenAt);
    assert.notEqual(second, first);
    assert.equal(reader.readAllPage(start, 10, wokenAt - 1000), second);
    await Promise.all([first, second]);
  });
});

Deno.test("the lease hands a consumer over from one replica to the other, which goes on from the checkpoint", async () => {
  await withRuntime(async ({ db, store, start }) => {
    const seenBy = new Map<number, string[]>();
    const handler = (replica: string): ConsumerHandler => {
      const notes = notesProjection("notes");
      return {
        name: "notes",
        async apply(tx, events, scope) {
          await notes.apply(tx, events, scope);
          for (const event of events) {
            const i = event.data.i as number;
            seenBy.set(i, [...(seenBy.get(i) ?? []), replica]);
          }
        },
      };
    };
    const a = start({ handler: handler("a"), applicationName: "replica-a" });
    await a.ready;
    const b = start({ handler: handler("b"), applicationName: "replica-b" });
    await b.ready;
    assert.equal(a.state.owned, true);
    assert.equal(b.state.owned, false, "the second replica stands by");

    await appendEvents(store, 0, 5);
    await until(() => seenBy.size === 5, "the owner applied the first events");
    await a.stop();
    await until(() => b.state.owned, "the standby took the lease over");
    await appendEvents(store, 5, 10);
    await until(() => seenBy.size === 10, "the new owner applied the next events");

    assert.deepEqual(
      [...seenBy].sort(([x], [y]) => x - y).map(([i, by]) => `${i}:${by.join("+")}`),
      ["0:a", "1:a", "2:a", "3:a", "4:a", "5:b", "6:b", "7:b", "8:b", "9:b"],
    );
    const rows = await db.readModel<{ n: number }[]>`SELECT n FROM noted ORDER BY n`;
    assert.equal(rows.length, 10);
  });
});

Deno.test("a poison event goes to the dead-letter table and the consumer moves past it", async () => {
  await withRuntime(async ({ db, store, start }) => {
    const consumer = start({ handler: notesProjection("notes") });
    await appendEvents(store, 0, 6, [3]);
    const [head] = await db.eventStore<{ transaction_id: string; id: string }[]>`
      SELECT transaction_id::text, id::text FROM events ORDER BY transaction_id DESC, id DESC
      LIMIT 1`;
    await until(
      async () => (await PROJECTION_CHECKPOINTS.read(db.readModel, "notes")).id === head!.id,
      "the checkpoint reached the last event",
    );

    const noted = await db.readModel<{ n: number }[]>`SELECT n FROM noted ORDER BY n`;
    assert.deepEqual(noted.map((r) => r.n), [0, 1, 2, 4, 5]);
    const dead = await listDeadLetters(db.readModel, "notes");
    assert.deepEqual(dead.map((d) => [d.eventType, d.error]), [
      ["Poison", "Error: cannot note event 3"],
    ]);
    await until(() => consumer.state.deadLetters === 1, "the replica counts the dead letter");
  });
});

Deno.test("without dead letters, a failing batch is retried until it passes, and nothing it took is lost", async () => {
  await withRuntime(async ({ db, store, start }) => {
    let failures = 2;
    const taken: number[] = [];
    const handed: number[] = [];
    const handler: ConsumerHandler = {
      name: "stubborn",
      async apply(tx, events, scope) {
        const batch = events.map((e) => e.data.i as number);
        taken.push(...batch);
        scope.onRollback(() => handed.push(...batch));
        await tx`INSERT INTO noted (consumer, n) SELECT 'stubborn', unnest(${batch}::int[])`;
        if (failures-- > 0) throw new Error("not yet");
      },
    };
    start({ handler, deadLetters: false, batchSize: 10, pollMs: 20 });
    await appendEvents(store, 0, 4);
    const rows = async () =>
      (await db.readModel<{ n: number }[]>`
        SELECT n FROM noted WHERE consumer = 'stubborn' ORDER BY n`).map((r) => r.n);
    await until(async () => (await rows()).length === 4, "the batch passed");
    assert.deepEqual(await rows(), [0, 1, 2, 3]);
    assert.equal(failures < 0, true, "it failed twice first");
    assert.deepEqual(handed.length, taken.length - 4, "every rolled-back batch was handed back");
    assert.deepEqual(await listDeadLetters(db.readModel, "stubborn"), []);
  });
});

Deno.test("a batch that fails for the environment is tried again at least once a second", async () => {
  await withRuntime(async ({ db, store, start }) => {
    // A server that keeps refusing connections for a while: the back-off (20 ms, doubled)
    // would reach 2.5 s by the eighth failure; a transient failure waits 1 s at most.
    let failures = 8;
    const attempts: number[] = [];
    const handler: ConsumerHandler = {
      name: "patient",
      async apply(tx, events) {
        attempts.push(performance.now());
        if (failures-- > 0) {
          throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        }
        await tx`INSERT INTO noted (consumer, n) SELECT 'patient', unnest(${
          events.map((e) => e.data.i as number)
        }::int[])`;
      },
    };
    start({ handler, batchSize: 10, pollMs: 20 });
    await appendEvents(store, 0, 2);
    const count = async () =>
      (await db.readModel<{ n: number }[]>`
        SELECT count(*)::int AS n FROM noted WHERE consumer = 'patient'`)[0]!.n;
    await until(async () => (await count()) === 2, "the batch passed");
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    assert.ok(gaps.length >= 8, `retried after each failure (${gaps.length} retries)`);
    assert.ok(
      Math.max(...gaps) < 1800,
      `waits between tries: ${gaps.map(Math.round).join(", ")} ms`,
    );
    assert.deepEqual(await listDeadLetters(db.readModel, "patient"), []);
  });
});

Deno.test("events a handler skips commit nothing of their own, and their checkpoint still lands", async () => {
  await withRuntime(async ({ db, store, start }) => {
    const applied: string[][] = [];
    const notes = notesProjection("picky");
    const picky: ConsumerHandler = {
      ...notes,
      handles: (event) => event.type === "Noted",
      apply(tx, events, scope) {
        applied.push(events.map((e) => e.type));
        return notes.apply(tx, events, scope);
      },
    };
    const consumer = start({ handler: picky });
    await consumer.ready;
    const checkpoint = async () => await PROJECTION_CHECKPOINTS.read(db.readModel, "picky");
    const lastPosition = async () =>
      (await db.eventStore<{ id: string }[]>`SELECT max(id)::text AS id FROM events`)[0]!.id;
    const skip = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await store.append(crypto.randomUUID(), [{ type: "Ignored", data: { i } }], {
          aggregateType: "Note",
          expectedVersion: "no_stream",
        });
      }
    };

    await skip(2);
    await until(async () => (await checkpoint()).id === await lastPosition(), "skipped: saved");
    // One commit for both, a second after the last one (the start), through apply.
    assert.equal(applied.length, 1, JSON.stringify(applied));
    assert.ok(applied[0]!.every((type) => type === "Ignored"));

    applied.length = 0;
    await skip(1);
    await appendEvents(store, 0, 1);
    await until(async () => (await checkpoint()).id === await lastPosition(), "noted: saved");
    assert.ok(applied.every((types) => types.includes("Noted")), JSON.stringify(applied));
    assert.deepEqual((await db.readModel<{ n: number }[]>`SELECT n FROM noted`).map((r) => r.n), [
      0,
    ]);

    // Skipped just before a stop: the stop writes their checkpoint.
    await skip(1);
    await until(() => consumer.state.checkpoint !== undefined, "following");
    const target = await lastPosition();
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual((await checkpoint()).id, target, "not yet saved: less than a second passed");
    await consumer.stop();
    assert.equal((await checkpoint()).id, target);
  });
});

Deno.test("an event held back by an older open transaction is applied as soon as it ends, not at the next poll", async () => {
  await withRuntime(async ({ db, store, start }) => {
    // Polling once a minute: only the wake-up and the read's unsettled check can bring it.
    const consumer = start({ handler: notesProjection("prompt"), pollMs: 60_000 });
    await consumer.ready;
    await appendEvents(store, 0, 1);
    const noted = async () => (await db.readModel<{ n: number }[]>`SELECT n FROM noted`).length;
    await until(async () => await noted() === 1, "the first event is applied");

    // An older transaction that appends nothing (so sends no wake-up of its own) holds the
    // next event back: it is committed, its wake-up comes, but no gap-safe read returns it.
    const older = await db.eventStore.reserve();
    try {
      await older`BEGIN`;
      await older`SELECT pg_current_xact_id()`;
      await appendEvents(store, 1, 2);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await noted(), 1, "not read past the open transaction");
      await older`COMMIT`;
    } finally {
      older.release();
    }
    // `until` gives up after 20 s, well before the next poll.
    await until(async () => await noted() === 2, "the held-back event is applied");
  });
});

Deno.test("consumers on one lease session commit a notice's batches in one transaction; a poison event fails its own alone", async () => {
  await withRuntime(async ({ db, store, start }) => {
    const committer = new BatchCommitter(
      openLeaseSession(db.readModelUrl, "consumer-test-shared"),
    );
    const { session } = committer;
    const reader = new SharedReader(store);
    try {
      // `picky` skips the poison, `notes` throws on it.
      const notes = notesProjection("notes");
      const picking = notesProjection("picky");
      const picky: ConsumerHandler = {
        name: "picky",
        apply: (tx, events, scope) =>
          picking.apply(tx, events.filter((e) => e.type !== "Poison"), scope),
      };
      const shared = { committer, reader, pollMs: 60_000, batchSize: 100 };
      const consumers = [
        start({ handler: notes, ...shared }),
        start({ handler: picky, ...shared }),
      ];
      await Promise.all(consumers.map((c) => c.ready));
      assert.ok(consumers.every((c) => c.state.owned));

      await appendEvents(store, 0, 3);
      const rows = async () =>
        await db.readModel<{ n: number; tx: string }[]>`
          SELECT n, xmin::text AS tx FROM noted WHERE consumer = 'notes' ORDER BY n`;
      await until(async () => (await rows()).length === 3, "the first events are noted");
      // Each event's two rows were written by one transaction.
      const together = await db.readModel<{ n: number }[]>`
        SELECT a.n FROM noted a JOIN noted b ON a.n = b.n AND b.consumer = 'picky'
        WHERE a.consumer = 'notes' AND a.xmin = b.xmin`;
      assert.ok(together.length > 0, "no batch of the two was committed together");

      await appendEvents(store, 3, 6, [4]);
      const noted = async (name: string) =>
        (await db.readModel<{ n: number }[]>`
          SELECT n FROM noted WHERE consumer = ${name} ORDER BY n`).map((r) => r.n);
      await until(async () => (await noted("notes")).length === 5, "notes passed the poison");
      await until(async () => (await noted("picky")).length === 5, "picky passed the poison");
      assert.deepEqual(await noted("notes"), [0, 1, 2, 3, 5]);
      assert.deepEqual(await noted("picky"), [0, 1, 2, 3, 5]);
      assert.deepEqual((await listDeadLetters(db.readModel, "notes")).map((d) => d.eventType), [
        "Poison",
      ]);
      assert.deepEqual(await listDeadLetters(db.readModel, "picky"), []);
      for (const consumer of consumers) await consumer.stop();
      // The shared session lives on, without the leases.
      const [held] = await session<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`;
      assert.equal(held!.n, 0);
    } finally {
      await session.end({ timeout: 5 });
    }
  });
});

Deno.test("a shared transaction fences, checkpoints and notifies for all its batches in one statement each, and sends their writes side by side", async () => {
  await withRuntime(async ({ db, store, start }) => {
    // Every statement of the shared session, in the order sent (it has one connection).
    const sent: string[] = [];
    const session = postgres(db.readModelUrl, {
      max: 1,
      idle_timeout: 0,
      onnotice: () => {},
      debug: (_connection, query) => sent.push(query.replace(/\s+/g, " ").trim()),
    });
    // A session this test never needs to replace.
    const committer = new BatchCommitter(
      Object.assign(session, {
        generation: 0,
        applicationName: "consumer-test",
        replace() {},
        whileCurrent: <T>(w: Promise<T>) => w,
      }),
    );
    const heard: string[] = [];
    const listening = await db.readModel.listen("consumer_test_notices", (p) => heard.push(p));
    try {
      const names = ["first", "second", "third"];
      const shared = { committer, reader: new SharedReader(store), pollMs: 60_000 };
      const consumers = names.map((name) =>
        start({
          handler: {
            name,
            // Two statements a batch, the second sent once the first is answered.
            async apply(tx, events) {
              await notesProjection(name).apply(tx, events, { onRollback: () => {} });
              await tx`SELECT count(*) AS then_counted FROM noted WHERE consumer = ${name}`;
            },
            notices: (position) => [{
              channel: "consumer_test_notices",
              payload: `${name}@${position.id}`,
            }],
          },
          ...shared,
        })
      );
      await Promise.all(consumers.map((c) => c.ready));
      // One event: each consumer's batch is that one event, one INSERT each.
      await appendEvents(store, 0, 1);
      const [last] = await db.eventStore<{ id: string }[]>`SELECT max(id)::text AS id FROM events`;
      await until(
        () => names.every((name) => heard.includes(`${name}@${last!.id}`)),
        "every consumer's notice of the last event is heard",
      );

      // Each transaction of the session: from BEGIN to COMMIT.
      const transactions: string[][] = [];
      let open: string[] | undefined;
      for (const query of sent) {
        if (query === "BEGIN") open = [];
        else if (query === "COMMIT" && open) transactions.push(open), open = undefined;
        else open?.push(query);
      }
      const count = (tx: string[], pattern: RegExp) => tx.filter((q) => pattern.test(q)).length;
      const batches = transactions.filter((tx) => count(tx, /INSERT INTO noted/) > 0);
      assert.ok(batches.length > 0, "no batch transaction seen");
      for (const tx of batches) {
        assert.equal(count(tx, /pg_try_advisory_xact_lock/), 1, tx.join("\n"));
        assert.equal(count(tx, /INSERT INTO "projection_checkpoints"/), 1, tx.join("\n"));
        assert.equal(count(tx, /pg_notify/), 1, tx.join("\n"));
      }
      const together = batches.filter((tx) => count(tx, /INSERT INTO noted/) === names.length);
      assert.ok(together.length > 0, "no transaction carried the batches of all three consumers");
      // Side by side: every handler's first statement went out before any handler's second.
      for (const tx of together) {
        const lastFirst = tx.findLastIndex((q) => /INSERT INTO noted/.test(q));
        const firstSecond = tx.findIndex((q) => /then_counted/.test(q));
        assert.ok(lastFirst < firstSecond, tx.join("\n"));
      }
      for (const consumer of consumers) await consumer.stop();
    } finally {
      await listening.unlisten();
      await session.end({ timeout: 5 });
    }
  });
});

Deno.test("consumers whose shared lease session stops answering open a new one and go on", async (t) => {
  await withRuntime(async ({ db, store, start }) => {
    // The lease session goes through a proxy that can leave its connection half-open:
    // its queries then get neither an answer nor an error.
    const proxy = startStallingProxy(db.readModelUrl);
    const committer = new BatchCommitter(openLeaseSession(proxy.url, "consumer-test-stall"));
    // stall-a waits on a statement in the middle of the batch of event 6, its transaction open:
    // a statement new to the connection, so that postgres.js also waits for its description.
    let paused = () => {};
    const pausedAt6 = new Promise<void>((resolve) => paused = resolve);
    const notesA = notesProjection("stall-a");
    let described = false;
    const pausing: ConsumerHandler = {
      name: "stall-a",
      async apply(tx, events, scope) {
        if (events.some((e) => e.data.i === 6)) {
          paused();
          await tx`SELECT pg_sleep(${0.3})`;
        }
        // The batch of event 12, once: its session stalls while the server waits for the
        // rest of a statement that postgres.js sends in two parts (it has a parameter).
        if (!described && events.some((e) => e.data.i === 12)) {
          described = true;
          proxy.stallAtDescribe();
          await tx`SELECT ${12}::int AS described_in_two_parts`;
        }
        await notesA.apply(tx, events, scope);
      },
    };
    try {
      // A stall may come while a transaction is open: it counts after 1 s here, not 30 s.
      const shared = {
        committer,
        databaseUrl: proxy.url,
        stallMs: 500,
        stallInTransactionMs: 1000,
        pollMs: 100,
      };
      const consumers = [
        start({ handler: pausing, ...shared }),
        start({ handler: notesProjection("stall-b"), ...shared }),
      ];
      await Promise.all(consumers.map((c) => c.ready));
      const noted = async (name: string) =>
        (await db.readModel<{ n: number }[]>`
          SELECT n FROM noted WHERE consumer = ${name} ORDER BY n`).map((r) => r.n);
      const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
      const all = async (n: number) =>
        (await noted("stall-a")).length === n && (await noted("stall-b")).length === n;
      // Each stall comes while both consumers own their leases on the session.
      const owning = () => until(() => consumers.every((c) => c.state.owned), "both own leases");
      await appendEvents(store, 0, 3);
      await until(() => all(3), "the first events are noted");

      // `stall` comes while both own their leases; then every event up to `n` is noted by
      // both, and the session was replaced once, not once per consumer that noticed.
      const survives = async (n: number, stall: () => Promise<void>) => {
        await owning();
        const generation = committer.session.generation;
        await stall();
        await until(() => all(n), `the events up to ${n} are noted after the stall`);
        assert.deepEqual(await noted("stall-a"), upTo(n));
        assert.deepEqual(await noted("stall-b"), upTo(n));
        assert.equal(committer.session.generation, generation + 1);
      };

      await t.step("a stall between batches", async () => {
        await survives(6, async () => {
          proxy.stall();
          await appendEvents(store, 3, 6);
        });
      });

      await t.step(
        "a stall in the middle of a batch: it runs again on the new session",
        async () => {
          await survives(9, async () => {
            await appendEvents(store, 6, 9);
            await pausedAt6;
            proxy.stall();
          });
        },
      );

      await t.step(
        "a stall whose server side lives on: its backend is ended, freeing the leases",
        async () => {
          // A broken network: the server keeps the old session, and with it the leases.
          await survives(12, async () => {
            proxy.stall({ server: "open" });
            await appendEvents(store, 9, 12);
          });
        },
      );

      await t.step(
        "a stall in the middle of a statement: the server waits on the client, so it is not working",
        async () => {
          // The server's session shows the statement active, waiting for the client to send more.
          await survives(15, () => appendEvents(store, 12, 15));
        },
      );
      await owning();
      for (const consumer of consumers) await consumer.stop();
    } finally {
      await committer.session.end({ timeout: 1 });
      proxy.close();
    }
  });
});

Deno.test("a lease query that waits behind a long batch is waited for, not taken for a stall", async () => {
  await withRuntime(async ({ db, store, start }) => {
    const committer = new BatchCommitter(openLeaseSession(db.readModelUrl, "consumer-test-slow"));
    try {
      const notes = notesProjection("slow");
      // A batch far longer than stallMs: a statement that runs 1 s in the server, then
      // statements with the client's own pauses between them, then 1 s in the client alone.
      const slow: ConsumerHandler = {
        name: "slow",
        async apply(tx, events, scope) {
          if (events.some((e) => e.data.i === 1)) {
            await tx`SELECT pg_sleep(1)`;
            for (let i = 0; i < 8; i++) {
              await tx`SELECT 1`;
              await new Promise((r) => setTimeout(r, 100));
            }
            // Work in the client alone, its transaction open, as the saga worker's handler does.
            await new Promise((r) => setTimeout(r, 1000));
          }
          await notes.apply(tx, events, scope);
        },
      };
      const consumer = start({ handler: slow, committer, stallMs: 300, batchSize: 1 });
      await consumer.ready;
      const generation = committer.session.generation;
      await appendEvents(store, 0, 3);
      const noted = async () =>
        (await db.readModel<{ n: number }[]>`SELECT n FROM noted WHERE consumer = 'slow'`).length;
      await until(async () => (await noted()) === 3, "the events are noted");
      assert.equal(committer.session.generation, generation, "the session was replaced");
      assert.ok(consumer.state.owned);
      await consumer.stop();
    } finally {
      await committer.session.end({ timeout: 1 });
    }
  });
});
