import assert from "node:assert/strict";
import { newId, withStore } from "./_testing.ts";
import { ORIGIN, type RecordedEvent, subscribe } from "./mod.ts";

Deno.test("subscribe() wakes on the coalesced NOTIFY and hands over events in order", async () => {
  await withStore(async (store, db) => {
    const seen: RecordedEvent[] = [];
    let arrived = () => {};
    const subscription = await subscribe(store, {
      from: ORIGIN,
      listen: db.eventStore,
      // Far longer than the test: only the wake-up can bring the events in time.
      pollMs: 60_000,
      handle: (events) => {
        seen.push(...events);
        if (seen.length >= 6) arrived();
        return Promise.resolve();
      },
    });
    let stopped = false;
    try {
      const done = new Promise<void>((resolve) => arrived = resolve);
      const id = newId();
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.append(id, [{ type: "N", data: { i } }], {
            aggregateType: "T",
            expectedVersion: "any",
          })),
      );
      await done;
      assert.deepEqual(seen.map((e) => e.version), [1, 2, 3, 4, 5, 6]);
      await subscription.stop();
      stopped = true;
      assert.deepEqual(subscription.position, seen.at(-1)!.position);
    } finally {
      if (!stopped) await subscription.stop();
    }
  });
});
