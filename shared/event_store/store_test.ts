import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { uuidv7 } from "./_command.ts";
import { newId, storeSuite, withStore } from "@shared/testing/event_store.ts";
import { ConcurrencyError, EventStoreClosedError, EventTooLargeError, ORIGIN } from "./mod.ts";

const T = { aggregateType: "T" };

Deno.test("append() refuses a payload over the limit and appends nothing", async () => {
  await withStore(async (store) => {
    const id = newId();
    await assert.rejects(
      store.append(id, [{ type: "Small", data: {} }, {
        type: "Big",
        data: { s: "x".repeat(2048) },
      }], {
        ...T,
        expectedVersion: "no_stream",
      }),
      (err: unknown) =>
        err instanceof EventTooLargeError && err instanceof ValidationError &&
        /"Big" is \d+ bytes, over the limit of 1024/.test(err.message),
    );
    assert.equal(await store.streamVersion(id), 0);
    assert.deepEqual(await store.readAll(ORIGIN), []);
  }, { maxEventBytes: 1024 });
});

Deno.test("append() after close() is refused", async () => {
  await withStore(async (store) => {
    store.close();
    await assert.rejects(
      store.append(newId(), [{ type: "A", data: {} }], { ...T, expectedVersion: "any" }),
      EventStoreClosedError,
    );
  });
});

storeSuite("EventStore appends and reads", {
  "append() takes a stream id in upper case": async (store) => {
    const id = newId().toUpperCase();
    const first = await store.append(id, [{ type: "A", data: {} }], {
      ...T,
      expectedVersion: "no_stream",
    });
    const again = await store.append(id, [{ type: "A", data: {} }], { ...T, expectedVersion: 1 });
    assert.deepEqual([first.nextVersion, again.nextVersion], [1, 2]);
    assert.equal((await store.readStream(id)).length, 2);
  },
  "append() enforces the expected version and reads back in order": async (store) => {
    const id = newId();
    const first = await store.append(id, [{ type: "A", data: { n: 1 } }], {
      ...T,
      expectedVersion: "no_stream",
    });
    assert.equal(first.nextVersion, 1);
    await assert.rejects(
      store.append(id, [{ type: "A", data: { n: 2 } }], { ...T, expectedVersion: "no_stream" }),
      (err: unknown) => err instanceof ConcurrencyError && err.actual === 1,
    );
    await assert.rejects(
      store.append(id, [{ type: "A", data: { n: 2 } }], { ...T, expectedVersion: 3 }),
      (err: unknown) =>
        err instanceof ConcurrencyError && err.expected === 3 && err.actual === 1 &&
        err.code === "CONFLICT",
    );
    const second = await store.append(id, [{ type: "B", data: { n: 2 } }, {
      type: "C",
      data: { n: 3 },
    }], { ...T, expectedVersion: 1 });
    assert.equal(second.nextVersion, 3);
    assert.equal(second.positions.length, 2);
    const any = await store.append(id, [{ type: "D", data: {} }], { ...T, expectedVersion: "any" });
    assert.equal(any.nextVersion, 4);
    assert.equal(await store.streamVersion(id), 4);
    assert.equal(await store.streamVersion(newId()), 0);
    const events = await store.readStream(id);
    assert.deepEqual(events.map((e) => [e.type, e.version]), [["A", 1], ["B", 2], ["C", 3], [
      "D",
      4,
    ]]);
    assert.deepEqual(events.map((e) => e.position), [
      ...first.positions,
      ...second.positions,
      ...any.positions,
    ]);
    const all = await store.readAll(ORIGIN);
    assert.equal(all.length, 4);
  },
  'append() with expected version "any" creates a missing stream': async (store) => {
    const id = newId();
    const result = await store.append(id, [{ type: "A", data: {} }], {
      ...T,
      expectedVersion: "any",
    });
    assert.equal(result.nextVersion, 1);
  },
  "append() with a repeated command id returns the first result and appends nothing": async (
    store,
  ) => {
    const id = newId();
    const commandId = newId();
    const options = { ...T, expectedVersion: "any" as const, commandId };
    const first = await store.append(id, [{ type: "A", data: {} }], options);
    const again = await store.append(id, [{ type: "A", data: {} }], options);
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(again.nextVersion, first.nextVersion);
    assert.deepEqual(again.positions, first.positions);
    assert.equal((await store.readStream(id)).length, 1);
    const [event] = await store.readStream(id);
    assert.equal(event!.metadata.commandId, commandId);
    assert.deepEqual(await store.commandResult(commandId), [{ ...again, streamId: id }]);
    assert.equal(await store.commandResult(newId()), undefined);
  },
  "commandResult() with metadata returns what the command's events were appended with": async (
    store,
  ) => {
    const [a, b, commandId] = [newId(), newId(), newId()];
    const metadata = { correlationId: newId(), inputHash: "abc" };
    const results = await store.appendMany([
      {
        streamId: a,
        aggregateType: "T",
        events: [{ type: "A", data: {} }],
        expectedVersion: "no_stream",
      },
      {
        streamId: b,
        aggregateType: "T",
        events: [{ type: "B", data: {} }],
        expectedVersion: "no_stream",
      },
    ], { commandId, metadata });
    const handled = await store.commandResult(commandId, { withMetadata: true });
    assert.deepEqual(handled?.streams, results.map((r) => ({ ...r, duplicate: true })));
    assert.deepEqual(handled?.metadata, { ...metadata, commandId });
    assert.equal(await store.commandResult(newId(), { withMetadata: true }), undefined);
  },
  "append() stores the metadata with every event": async (store) => {
    const id = newId();
    const metadata = { correlationId: newId(), userId: "u1", traceparent: "00-abc-def-01" };
    await store.append(id, [{ type: "A", data: {} }, { type: "B", data: {} }], {
      ...T,
      expectedVersion: "no_stream",
      metadata,
    });
    for (const event of await store.readStream(id)) assert.deepEqual(event.metadata, metadata);
  },
  "keys with escapes read back as written, after a payload with a backslash in a key": async (
    store,
  ) => {
    // Reading the first payload leaves V8's JSON key cache holding `\`, which
    // made the native parser read the second's `"` as `\` (shared/runtime/json.ts).
    const id = newId();
    // (PostgreSQL writes jsonb keys shortest first, so the empty key comes first.)
    const payloads = [{ "": [], "\\": 0 }, { "": 1, '"': 2 }, { "": 1, "\t": 3 }];
    await store.append(id, payloads.map((data) => ({ type: "A", data })), {
      ...T,
      expectedVersion: "no_stream",
    });
    for (let round = 0; round < 2; round++) {
      assert.deepEqual((await store.readStream(id)).map((e) => e.data), payloads);
    }
  },
  "append() of no events appends nothing and reports the version": async (store) => {
    const id = newId();
    await store.append(id, [{ type: "A", data: {} }], { ...T, expectedVersion: "no_stream" });
    const result = await store.append(id, [], { ...T, expectedVersion: 1 });
    assert.deepEqual(result, { nextVersion: 1, positions: [], duplicate: false });
  },
  "readStream() reads forward or backward from a version, with a limit": async (store) => {
    const id = newId();
    const events = Array.from({ length: 6 }, (_, i) => ({ type: "N", data: { i } }));
    await store.append(id, events, { ...T, expectedVersion: "no_stream" });
    const versions = (list: { version: number }[]) => list.map((e) => e.version);
    assert.deepEqual(versions(await store.readStream(id, { from: 3 })), [3, 4, 5, 6]);
    assert.deepEqual(versions(await store.readStream(id, { from: 2, limit: 2 })), [2, 3]);
    assert.deepEqual(versions(await store.readStream(id, { direction: "backward" })), [
      6,
      5,
      4,
      3,
      2,
      1,
    ]);
    assert.deepEqual(
      versions(await store.readStream(id, { direction: "backward", from: 4, limit: 2 })),
      [4, 3],
    );
    assert.deepEqual(await store.readStream(newId()), []);
  },
  "readByType() and readByTimeRange() read in global order and page by position": async (store) => {
    const a = newId();
    const b = newId();
    await store.append(a, [{ type: "X", data: { n: 1 } }, { type: "Y", data: { n: 2 } }], {
      ...T,
      expectedVersion: "no_stream",
    });
    await store.append(b, [{ type: "X", data: { n: 3 } }, { type: "Z", data: { n: 4 } }], {
      ...T,
      expectedVersion: "no_stream",
    });
    const xs = await store.readByType("X");
    assert.deepEqual(xs.map((e) => e.data.n), [1, 3]);
    const xz = await store.readByType(["X", "Z"], { limit: 2 });
    assert.deepEqual(xz.map((e) => e.data.n), [1, 3]);
    const rest = await store.readByType(["X", "Z"], { after: xz.at(-1)!.position });
    assert.deepEqual(rest.map((e) => e.data.n), [4]);

    const all = await store.readAll(ORIGIN);
    const from = new Date(all[0]!.createdAt.getTime());
    const to = new Date(all.at(-1)!.createdAt.getTime() + 1);
    const inRange = await store.readByTimeRange({ from, to });
    assert.deepEqual(inRange.map((e) => e.data.n), [1, 2, 3, 4]);
    const page = await store.readByTimeRange({ from, to }, {
      after: inRange[1]!.position,
      limit: 1,
    });
    assert.deepEqual(page.map((e) => e.data.n), [3]);
    const before = await store.readByTimeRange({ from: new Date(0), to: from });
    assert.deepEqual(before, []);
  },
  "append() refuses a payload over the default limit of 1 MiB": async (store) => {
    const data = { s: "é".repeat(600 * 1024) }; // 1.2 MB of UTF-8 in 0.6 M characters
    await assert.rejects(
      store.append(newId(), [{ type: "Big", data }], { ...T, expectedVersion: "any" }),
      EventTooLargeError,
    );
    assert.deepEqual(await store.readAll(ORIGIN), []);
  },
  "append() names every bad field of bad input": async (store) => {
    await assert.rejects(
      store.append("not-a-uuid", [{ type: "", data: [] as never }], {
        aggregateType: "",
        expectedVersion: -1,
        commandId: "nope",
      }),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues.map((i) => i.field).sort(), [
          "aggregateType",
          "commandId",
          "events[0].data",
          "events[0].type",
          "expectedVersion",
          "streamId",
        ]);
        assert.match(err.message, /streamId: "not-a-uuid" is not a UUID/);
        return true;
      },
    );
    await assert.rejects(
      store.append(newId(), [{ type: "A", data: {} }], { ...T, expectedVersion: 1.5 }),
      ValidationError,
    );
  },
  "append() refuses a payload PostgreSQL cannot store, as bad input, and appends nothing": async (
    store,
  ) => {
    const id = newId();
    await assert.rejects(
      store.append(id, [{ type: "A", data: { s: "nul \u0000 inside" } }], {
        ...T,
        expectedVersion: "no_stream",
      }),
      ValidationError,
    );
    assert.equal(await store.streamVersion(id), 0);
  },
  "append() refuses a reused event id as a conflict": async (store) => {
    const eventId = newId();
    await store.append(newId(), [{ type: "A", data: {}, eventId }], {
      ...T,
      expectedVersion: "any",
    });
    const other = newId();
    await assert.rejects(
      store.append(other, [{ type: "A", data: {}, eventId }], { ...T, expectedVersion: "any" }),
      (err: unknown) =>
        err instanceof Error && err.name === "ConflictError" && err.message.includes(eventId),
    );
    assert.equal(await store.streamVersion(other), 0);
  },
});

Deno.test("uuidv7() makes time-ordered version 7 UUIDs", async () => {
  const first = uuidv7();
  await new Promise((r) => setTimeout(r, 2));
  const second = uuidv7();
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(first.slice(0, 13) < second.slice(0, 13));
});
