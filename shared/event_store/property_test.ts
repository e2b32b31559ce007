import assert from "node:assert/strict";
import fc from "fast-check";
import { newId, withStore } from "@shared/testing/event_store.ts";
import { parseJson } from "@shared/runtime/json.ts";
import { ORIGIN } from "./mod.ts";

const payload = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 5 },
);
const event = fc.record({
  type: fc.constantFrom("Created", "Renamed", "Priced", "Deleted"),
  data: payload,
});
/** Appends as a list of (stream index, events); streams are created on first use. */
const script = fc.array(
  fc.tuple(fc.nat({ max: 3 }), fc.array(event, { minLength: 1, maxLength: 4 })),
  { minLength: 1, maxLength: 12 },
);

Deno.test("property: what is appended reads back the same, per stream and globally", async () => {
  await withStore(async (store, db) => {
    await fc.assert(
      fc.asyncProperty(script, async (steps) => {
        await db.eventStore`TRUNCATE events, streams, command_results`;
        const streams = Array.from({ length: 4 }, newId);
        const expected = new Map<string, { type: string; data: unknown }[]>();
        const global: { stream: string; type: string; data: unknown }[] = [];
        for (const [index, events] of steps) {
          const stream = streams[index]!;
          const list = expected.get(stream) ?? [];
          const result = await store.append(stream, events, {
            aggregateType: "P",
            expectedVersion: list.length === 0 ? "no_stream" : list.length,
          });
          // JSON does not keep -0 or key order; compare what JSON keeps (read with
          // parseJson: the native parser can misread the escaped keys generated here).
          const normal = events.map((e) => ({
            type: e.type,
            data: parseJson(JSON.stringify(e.data)),
          }));
          list.push(...normal);
          expected.set(stream, list);
          global.push(...normal.map((e) => ({ stream, ...e })));
          assert.equal(result.nextVersion, list.length);
          assert.equal(result.positions.length, events.length);
        }
        for (const [stream, list] of expected) {
          const read = await store.readStream(stream);
          assert.deepEqual(read.map((e) => ({ type: e.type, data: e.data })), list);
          assert.deepEqual(read.map((e) => e.version), list.map((_, i) => i + 1));
          const back = await store.readStream(stream, { direction: "backward" });
          assert.deepEqual(back.map((e) => e.eventId), read.map((e) => e.eventId).reverse());
        }
        const all = await store.readAll(ORIGIN, 10_000);
        assert.deepEqual(
          all.map((e) => ({ stream: e.aggregateId, type: e.type, data: e.data })),
          global,
        );
      }),
      { numRuns: 40 },
    );
  });
});
