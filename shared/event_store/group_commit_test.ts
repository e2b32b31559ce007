import assert from "node:assert/strict";
import type { Sql, TxSql } from "@shared/db/connect.ts";
import { ConflictError, PreconditionError } from "@shared/errors/mod.ts";
import { queries, waitForAdvisoryWait, watchedPool } from "@shared/testing/db.ts";
import { newId, storeSuite } from "@shared/testing/event_store.ts";
import {
  type AppendEffects,
  ConcurrencyError,
  EventStore,
  ORIGIN,
  refusalOf,
  sqlEffects,
  type StatementEffects,
} from "./mod.ts";

const T = { aggregateType: "T" };

/** Six new streams appended at once, one event each with its own effects: ids and outcomes. */
async function appendEach(store: EventStore, effectsOf: (i: number) => AppendEffects) {
  const ids = Array.from({ length: 6 }, newId);
  const outcomes = await Promise.allSettled(
    ids.map((id, i) =>
      store.append(id, [{ type: "A", data: { i } }], {
        ...T,
        expectedVersion: "no_stream",
        effects: effectsOf(i),
      })
    ),
  );
  return { ids, outcomes };
}

storeSuite("EventStore group commit, effects and appendMany", {
  "group commit: concurrent appends share transactions, each with its own check": async (store) => {
    const existing = newId();
    await store.append(existing, [{ type: "A", data: {} }], { ...T, expectedVersion: "no_stream" });
    const before = store.stats.batches;
    const fresh = Array.from({ length: 30 }, newId);
    const results = await Promise.allSettled([
      ...fresh.map((id, i) =>
        store.append(id, [{ type: "N", data: { i } }], { ...T, expectedVersion: "no_stream" })
      ),
      // Stale: this one's conflict must not fail its neighbours.
      store.append(existing, [{ type: "B", data: {} }], { ...T, expectedVersion: 5 }),
    ]);
    assert.ok(store.stats.batches - before < results.length, "appends were batched");
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.reason instanceof ConcurrencyError);
    assert.equal(failed[0]!.reason.actual, 1);
    for (const [i, id] of fresh.entries()) {
      const result = results[i]!;
      assert.equal(result.status, "fulfilled");
      assert.equal(result.value.nextVersion, 1);
      const [event] = await store.readStream(id);
      assert.deepEqual(event!.data, { i });
      assert.deepEqual(event!.position, result.value.positions[0]);
    }
    assert.equal(await store.streamVersion(existing), 1);
  },
  "group commit: appends to one stream in the same tick apply in turn": async (store) => {
    const id = newId();
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          store.append(id, [{ type: "N", data: { i } }, { type: "M", data: { i } }], {
            ...T,
            expectedVersion: "any",
          }),
      ),
    );
    assert.deepEqual(results.map((r) => r.nextVersion), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    const all = await store.readAll(ORIGIN);
    assert.deepEqual(all.map((e) => e.version), Array.from({ length: 20 }, (_, i) => i + 1));
  },
  "effects: one that throws fails only its own command, in the same batch": async (store, db) => {
    await db.eventStore`CREATE TABLE skus (sku text PRIMARY KEY, product uuid NOT NULL)`;
    const ids = Array.from({ length: 6 }, newId);
    const claim = (sku: string, product: string) => async (tx: TxSql) =>
      void await tx`INSERT INTO skus (sku, product) VALUES (${sku}, ${product})`;
    const results = await Promise.allSettled(
      ids.map((id, i) =>
        store.append(id, [{ type: "ProductCreated", data: { i } }], {
          ...T,
          expectedVersion: "no_stream",
          effects: i === 1
            ? () => Promise.reject(new PreconditionError("Refused on purpose"))
            // Products 2 and 3 claim the same SKU: exactly one may have it.
            : claim(i === 2 || i === 3 ? "SKU-X" : `SKU-${i}`, id),
        })
      ),
    );
    const status = results.map((r) => r.status);
    assert.deepEqual(status.filter((s) => s === "rejected").length, 2);
    assert.ok(results[1]!.status === "rejected" && results[1]!.reason instanceof PreconditionError);
    const loser = results[2]!.status === "rejected" ? 2 : 3;
    const lost = results[loser]!;
    assert.ok(lost.status === "rejected" && lost.reason instanceof ConflictError);
    assert.match(lost.reason.message, /Unique constraint "skus_pkey"/);
    for (const [i, id] of ids.entries()) {
      const written = i !== 1 && i !== loser;
      assert.equal(await store.streamVersion(id), written ? 1 : 0, `stream ${i}`);
    }
    const skus = await db.eventStore<{ sku: string }[]>`SELECT sku FROM skus ORDER BY sku`;
    assert.deepEqual(skus.map((s) => s.sku), ["SKU-0", "SKU-4", "SKU-5", "SKU-X"]);
  },
  "effects: an append whose effects wait does not hold up another one of its batch": async (
    store,
    db,
  ) => {
    await db.eventStore`CREATE TABLE counters (name text PRIMARY KEY, n int NOT NULL)`;
    await db.eventStore`INSERT INTO counters VALUES ('held', 0), ('free', 0)`;
    const bump = (name: string) => async (tx: TxSql) =>
      void await tx`UPDATE counters SET n = n + 1 WHERE name = ${name}`;
    // Another transaction holds the row the first append's effects update.
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => locked = resolve);
    const holder = db.eventStore.begin(async (tx) => {
      await tx`SELECT n FROM counters WHERE name = 'held' FOR UPDATE`;
      locked();
      await released;
    });
    await isLocked;
    const [waiting, free] = [newId(), newId()];
    const blocked = store.append(waiting, [{ type: "A", data: {} }], {
      ...T,
      expectedVersion: "no_stream",
      effects: bump("held"),
    });
    const passing = store.append(free, [{ type: "B", data: {} }], {
      ...T,
      expectedVersion: "no_stream",
      effects: bump("free"),
    });
    // A bound on waiting, not a measure of speed: appends of one transaction would never finish.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      passing.then(() => "the free append"),
      blocked.then(() => "the blocked append"),
      new Promise<string>((resolve) => timer = setTimeout(() => resolve("neither"), 20_000)),
    ]);
    clearTimeout(timer);
    release();
    await holder;
    await Promise.all([blocked, passing]);
    assert.equal(first, "the free append");
    assert.equal(await store.streamVersion(waiting), 1);
    assert.equal(await store.streamVersion(free), 1);
  },
  "effects: commands with effects share a transaction; one that fails undoes only itself": async (
    store,
    db,
  ) => {
    await db.eventStore`CREATE TABLE noted (n int PRIMARY KEY)`;
    const note = (n: number) => async (tx: TxSql) => void await tx`INSERT INTO noted VALUES (${n})`;
    // Catches a duplicate key under a savepoint and goes on, as a lookup checking a name does.
    const noteTwice = (n: number) => async (tx: TxSql) => {
      await tx`INSERT INTO noted VALUES (${n})`;
      await tx.savepoint(async (sp) => await sp`INSERT INTO noted VALUES (${n})`).catch(() => {});
      await tx`INSERT INTO noted VALUES (${n + 1000})`;
    };
    const round = async (first: number, effects: ((i: number) => AppendEffects)[]) => {
      const ids = effects.map(() => newId());
      const outcomes = await Promise.allSettled(
        ids.map((id, i) =>
          store.append(id, [{ type: "A", data: { i } }], {
            ...T,
            expectedVersion: "no_stream",
            effects: effects[i]!(first + i),
          })
        ),
      );
      const [row] = await db.eventStore<{ n: number }[]>`
        SELECT count(DISTINCT transaction_id)::int AS n FROM events WHERE aggregate_id = ANY(${ids})`;
      return { ids, outcomes, transactions: row!.n };
    };

    const all = await round(0, Array.from({ length: 8 }, () => note));
    assert.ok(all.outcomes.every((o) => o.status === "fulfilled"));
    assert.ok(all.transactions < 8, `8 appends with effects took ${all.transactions} transactions`);

    const failing = (n: number) => async (tx: TxSql) => {
      await note(n)(tx);
      throw new PreconditionError(`effect ${n} refused`);
    };
    const mixed = await round(100, [note, note, failing, noteTwice, note]);
    assert.deepEqual(mixed.outcomes.map((o) => o.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    assert.match(String((mixed.outcomes[2] as PromiseRejectedResult).reason), /effect 102 refused/);
    assert.equal(await store.streamVersion(mixed.ids[2]!), 0, "nothing of the refused command");
    const rows = await db.eventStore<{ n: number }[]>`SELECT n FROM noted ORDER BY n`;
    assert.deepEqual(rows.map((r) => r.n), [0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 103, 104, 1103]);
  },
  "effects: a conflicting or repeated append leaves nothing of its effects": async (store, db) => {
    await db.eventStore`CREATE TABLE effected (note text NOT NULL)`;
    await conflictingOrRepeated(
      store,
      db.eventStore,
      "effected",
      (text) => async (tx) => void await tx`INSERT INTO effected VALUES (${text})`,
    );
  },
  "statement effects: a conflicting or repeated append leaves nothing of them": async (
    store,
    db,
  ) => {
    await db.eventStore`CREATE TABLE stated (note text NOT NULL)`;
    await conflictingOrRepeated(store, db.eventStore, "stated", (text) => ({
      send: (tx) => [tx`INSERT INTO stated VALUES (${text})`],
    }));
  },
  "sql effects: a conflicting or repeated append leaves nothing of them": async (store, db) => {
    await db.eventStore`CREATE TABLE folded_notes (note text NOT NULL)`;
    await conflictingOrRepeated(store, db.eventStore, "folded_notes", (text) =>
      sqlEffects([
        { sql: "INSERT INTO folded_notes VALUES ($1::text)", params: [text] },
      ]));
  },
  "sql effects: a lone command's append and effects are one statement, refusals as declared":
    async (store, db) => {
      await db.eventStore`CREATE TABLE folded (note text NOT NULL)`;
      const { sql: watched, sent } = watchedPool(db.eventStoreUrl);
      const own = new EventStore(watched);
      // The first check reads nothing; the second refuses when asked to: both must run.
      const effects = (note: string, refuse: boolean) =>
        sqlEffects([
          { sql: "INSERT INTO folded VALUES ($1::text)", params: [note] },
          { sql: "SELECT 1 WHERE $1::text IS NULL", params: [note] },
          {
            sql: "SELECT es_refuse('sold out', $1::text) WHERE $2::boolean",
            params: [note, refuse],
            refused: ({ subject, reason }) => new PreconditionError(`${subject}: ${reason}`),
          },
        ]);
      const append = (id: string, note: string, refuse: boolean, commandId = true) =>
        own.append(id, [{ type: "A", data: { note } }], {
          ...T,
          expectedVersion: "no_stream",
          ...(commandId ? { commandId: crypto.randomUUID() } : {}),
          effects: effects(note, refuse),
        });
      try {
        await watched`SELECT 1`; // the pool's first connection reads the server's types first
        const id = newId();
        const before = sent.length;
        const result = await append(id, "kept", false);
        assert.equal(result.nextVersion, 1);
        const statements = queries(sent.slice(before));
        assert.equal(statements.length, 1, statements.join("\n---\n"));
        assert.match(statements[0]!, /INSERT INTO folded/);
        assert.doesNotMatch(statements.join("\n"), /^(BEGIN|COMMIT)$/m);
        // Without a command id the effects' parameters start one earlier: still one statement.
        const plain = sent.length;
        await append(newId(), "plain", false, false);
        assert.equal(sent.length - plain, 1, queries(sent.slice(plain)).join("\n---\n"));

        const refusedId = newId();
        await assert.rejects(append(refusedId, "refused", true), (err: unknown) => {
          assert.ok(err instanceof PreconditionError, String(err));
          assert.equal(err.message, "refused: sold out");
          return true;
        });
        assert.equal(await store.streamVersion(refusedId), 0);
        const notes = await db.eventStore<
          { note: string }[]
        >`SELECT note FROM folded ORDER BY note`;
        assert.deepEqual(notes.map((r) => r.note), ["kept", "plain"]);
      } finally {
        own.close();
        await watched.end();
      }
    },
  "sql effects: an append that conflicts while its effect refuses fails with one of those, never a follow-up error":
    async (store) => {
      const id = newId();
      await store.append(id, [{ type: "A", data: {} }], { ...T, expectedVersion: "no_stream" });
      const refusing = sqlEffects([{
        sql: "SELECT es_refuse('sold out', 'item 1')",
        params: [],
        refused: ({ subject, reason }) => new PreconditionError(`${subject}: ${reason}`),
      }]);
      await assert.rejects(
        store.append(id, [{ type: "A", data: {} }], {
          ...T,
          expectedVersion: "no_stream",
          commandId: crypto.randomUUID(),
          effects: refusing,
        }),
        (err: unknown) => {
          assert.ok(
            err instanceof PreconditionError || err instanceof ConcurrencyError,
            `the conflict or the refusal, not ${String(err)}`,
          );
          return true;
        },
      );
      assert.equal(await store.streamVersion(id), 1, "nothing written");
    },
  "statement effects: the append, they and COMMIT go out in one round trip": async (store, db) => {
    await db.eventStore`CREATE TABLE sent_once (note text NOT NULL)`;
    const { sql: watched, sent } = watchedPool(db.eventStoreUrl);
    // Every append carries the wake-up, so both use the same statement.
    const own = new EventStore(watched, { notifyIntervalMs: 0 });
    const append = (id: string) =>
      own.append(id, [{ type: "A", data: {} }], {
        ...T,
        expectedVersion: "no_stream",
        effects: { send: (tx) => [tx`INSERT INTO sent_once VALUES ('one')`] },
      });
    // The first use of a statement on a connection waits for its description; later ones do not.
    await append(newId());
    const id = newId();
    const holder = await db.eventStore.reserve();
    let running: Promise<unknown> = Promise.resolve();
    try {
      // Holds the stream's lock, so the append statement waits and nothing can answer yet.
      await holder`SELECT pg_advisory_lock(hashtextextended(${id}::text, 0))`;
      const appended = append(id);
      running = appended;
      await waitForAdvisoryWait(db.eventStore);
      assert.deepEqual(queries(sent.slice(-2)), ["INSERT INTO sent_once VALUES ('one')", "COMMIT"]);
      await holder`SELECT pg_advisory_unlock_all()`;
      assert.equal((await appended).nextVersion, 1);
      const rows = await db.eventStore<{ note: string }[]>`SELECT note FROM sent_once`;
      assert.deepEqual(rows.map((r) => r.note), ["one", "one"]);
      void store; // the suite's store is not the one watched here
    } finally {
      await holder`SELECT pg_advisory_unlock_all()`;
      holder.release();
      await running.catch(() => {});
      own.close();
      await watched.end();
    }
  },
  "statement effects: a refusal in SQL fails only its own command, with its own error": async (
    store,
    db,
  ) => {
    await db.eventStore`CREATE TABLE claimed (n int PRIMARY KEY)`;
    const claim = (n: number, refuse: boolean): StatementEffects => ({
      send: (tx) => [
        tx`INSERT INTO claimed VALUES (${n})`,
        ...(refuse
          ? [
            tx`SELECT es_refuse('sold out', ${`item ${n}`})`.then(() => {}, (err) => {
              const refusal = refusalOf(err);
              throw refusal ? new PreconditionError(`${refusal.subject}: ${refusal.reason}`) : err;
            }),
          ]
          : []),
      ],
    });
    const { ids, outcomes } = await appendEach(store, (i) => claim(i, i === 2));
    assert.deepEqual(outcomes.map((o) => o.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const refused = (outcomes[2] as PromiseRejectedResult).reason;
    assert.ok(refused instanceof PreconditionError, String(refused));
    assert.equal(refused.message, "item 2: sold out");
    assert.equal(await store.streamVersion(ids[2]!), 0, "nothing of the refused command");
    const rows = await db.eventStore<{ n: number }[]>`SELECT n FROM claimed ORDER BY n`;
    assert.deepEqual(rows.map((r) => r.n), [0, 1, 3, 4, 5]);
  },
  "statement effects: one whose send() throws fails only its own command": async (store, db) => {
    await db.eventStore`CREATE TABLE sent_rows (n int PRIMARY KEY)`;
    const { ids, outcomes } = await appendEach(store, (i) => ({
      send: (tx) => {
        if (i === 3) throw new PreconditionError("Refused while sending");
        // Sent before the throw, in the same group: its failure must not go unheard.
        if (i === 1) return [tx`SELECT 1 / 0`];
        return [tx`INSERT INTO sent_rows VALUES (${i})`];
      },
    }));
    const rejected = outcomes.flatMap((o, i) => o.status === "rejected" ? [i] : []);
    assert.deepEqual(rejected, [1, 3], "only the two commands whose effects failed");
    const refused = (outcomes[3] as PromiseRejectedResult).reason;
    assert.ok(refused instanceof PreconditionError, String(refused));
    assert.equal(refused.message, "Refused while sending");
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /division by zero/);
    assert.deepEqual(
      await Promise.all(ids.map((id) => store.streamVersion(id))),
      [1, 0, 1, 0, 1, 1],
    );
    const rows = await db.eventStore<{ n: number }[]>`SELECT n FROM sent_rows ORDER BY n`;
    assert.deepEqual(rows.map((r) => r.n), [0, 2, 4, 5]);
  },
  "commit: a group's COMMIT waits for a lock as long as it must; one the server refuses fails only its command":
    async (store, db) => {
      // A deferred check on events, run at COMMIT: it refuses the events of `refused_at_commit`
      // and waits for advisory lock 4242 while someone holds it.
      await db.eventStore.unsafe(`
        CREATE TABLE commit_rows (n int PRIMARY KEY);
        CREATE TABLE refused_at_commit (i int PRIMARY KEY);
        CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM refused_at_commit WHERE i = (NEW.event_data->>'i')::int) THEN
            RAISE EXCEPTION 'refused at commit';
          END IF;
          PERFORM pg_advisory_xact_lock_shared(4242);
          RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON events
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION at_commit();`);
      const holder = await db.eventStore.reserve();
      try {
        const kinds: Record<string, (i: number) => AppendEffects> = {
          "statements": (i) => ({ send: (tx) => [tx`INSERT INTO commit_rows VALUES (${i})`] }),
          "a function": (i) => async (tx: TxSql) => {
            await tx`INSERT INTO commit_rows VALUES (${i})`;
          },
        };
        for (const [kind, effectsOf] of Object.entries(kinds)) {
          await db.eventStore`TRUNCATE commit_rows, refused_at_commit`;
          // Held for 300 ms: longer than the 50 ms a group's statements may wait for a lock.
          await holder`SELECT pg_advisory_lock(4242)`;
          const appending = appendEach(store, effectsOf);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await holder`SELECT pg_advisory_unlock(4242)`;
          const waited = await appending;
          assert.deepEqual(
            waited.outcomes.map((o) => o.status === "rejected" ? String(o.reason) : "ok"),
            Array(6).fill("ok"),
            `effects as ${kind}: every command waited for the lock at COMMIT and committed`,
          );

          await db.eventStore`TRUNCATE commit_rows; INSERT INTO refused_at_commit VALUES (3)`
            .simple();
          const { ids, outcomes } = await appendEach(store, effectsOf);
          const rejected = outcomes.flatMap((o, i) => o.status === "rejected" ? [i] : []);
          assert.deepEqual(rejected, [3], `effects as ${kind}: only the refused command fails`);
          assert.match(String((outcomes[3] as PromiseRejectedResult).reason), /refused at commit/);
          assert.deepEqual(
            await Promise.all(ids.map((id) => store.streamVersion(id))),
            [1, 1, 1, 0, 1, 1],
          );
          const rows = await db.eventStore<{ n: number }[]>`SELECT n FROM commit_rows ORDER BY n`;
          assert.deepEqual(rows.map((r) => r.n), [0, 1, 2, 4, 5]);
        }
      } finally {
        holder.release();
        await db.eventStore.unsafe(
          "DROP TRIGGER at_commit ON events; DROP FUNCTION at_commit(); " +
            "DROP TABLE commit_rows, refused_at_commit",
        );
      }
    },
  "appendMany() writes every stream or none": async (store) => {
    const [a, b, c] = [newId(), newId(), newId()];
    const first = await store.appendMany([
      { streamId: a, ...T, events: [{ type: "A", data: {} }], expectedVersion: "no_stream" },
      {
        streamId: b,
        ...T,
        events: [{ type: "B", data: {} }, { type: "B", data: {} }],
        expectedVersion: "no_stream",
      },
    ]);
    assert.deepEqual(first.map((r) => [r.streamId, r.nextVersion, r.positions.length]), [
      [a, 1, 1],
      [
        b,
        2,
        2,
      ],
    ]);
    await assert.rejects(
      store.appendMany([
        { streamId: a, ...T, events: [{ type: "A", data: {} }], expectedVersion: 1 },
        { streamId: c, ...T, events: [{ type: "C", data: {} }], expectedVersion: "no_stream" },
        { streamId: b, ...T, events: [{ type: "B", data: {} }], expectedVersion: 1 },
      ]),
      (err: unknown) => err instanceof ConcurrencyError && err.streamId === b && err.actual === 2,
    );
    await assert.rejects(
      store.appendMany([
        { streamId: a, ...T, events: [{ type: "A", data: {} }], expectedVersion: 1 },
        { streamId: c, ...T, events: [{ type: "C", data: {} }], expectedVersion: "no_stream" },
      ], {
        effects: () => Promise.reject(new PreconditionError("Refused on purpose")),
      }),
      PreconditionError,
    );
    assert.equal(await store.streamVersion(a), 1);
    assert.equal(await store.streamVersion(b), 2);
    assert.equal(await store.streamVersion(c), 0);
    assert.equal((await store.readAll(ORIGIN)).length, 3);
  },
  "appendMany() commits its streams in one transaction, and replays by command id": async (
    store,
  ) => {
    const [a, b] = [newId(), newId()];
    const commandId = newId();
    const writes = [
      { streamId: a, ...T, events: [{ type: "A", data: {} }], expectedVersion: "any" as const },
      { streamId: b, ...T, events: [{ type: "B", data: {} }], expectedVersion: "any" as const },
    ];
    const first = await store.appendMany(writes, { commandId });
    assert.equal(first[0]!.positions[0]!.transactionId, first[1]!.positions[0]!.transactionId);
    const again = await store.appendMany(writes, { commandId });
    assert.deepEqual(again, first.map((r) => ({ ...r, duplicate: true })));
    assert.equal((await store.readAll(ORIGIN)).length, 2);
  },
  "appendMany() refuses the same stream twice": async (store) => {
    const a = newId();
    const write = {
      streamId: a,
      ...T,
      events: [{ type: "A", data: {} }],
      expectedVersion: "any" as const,
    };
    await assert.rejects(store.appendMany([write, write]), /appears twice/);
  },
  "a command id sent many times at once appends once": async (store) => {
    const id = newId();
    const commandId = newId();
    const results = await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          store.append(id, [{ type: "A", data: {} }], { ...T, expectedVersion: "any", commandId }),
      ),
    );
    assert.equal(results.filter((r) => !r.duplicate).length, 1);
    for (const r of results) assert.deepEqual(r.positions, results[0]!.positions);
    assert.equal(await store.streamVersion(id), 1);
  },
});

/** A conflicting append and a repeated command id, each with effects noting `text` in `table`. */
async function conflictingOrRepeated(
  store: EventStore,
  sql: Sql,
  table: string,
  note: (text: string) => AppendEffects,
): Promise<void> {
  const id = newId();
  const commandId = crypto.randomUUID();
  await store.append(id, [{ type: "A", data: {} }], {
    ...T,
    expectedVersion: "no_stream",
    commandId,
    effects: note("first"),
  });
  await assert.rejects(
    store.append(id, [{ type: "B", data: {} }], {
      ...T,
      expectedVersion: "no_stream",
      effects: note("conflicting"),
    }),
    ConcurrencyError,
  );
  const again = await store.append(id, [{ type: "A", data: {} }], {
    ...T,
    expectedVersion: "no_stream",
    commandId,
    effects: note("repeated"),
  });
  assert.equal(again.duplicate, true);
  assert.equal(again.nextVersion, 1);
  const notes = await sql.unsafe<{ note: string }[]>(`SELECT note FROM ${table}`);
  assert.deepEqual(notes.map((r) => r.note), ["first"]);
}
