import assert from "node:assert/strict";
import { type EventHandlers, planBatch } from "./batch.ts";
import { EventLog } from "@shared/testing/read_model.ts";

type TestEvent =
  | { type: "Created"; data: { n: number } }
  | { type: "Stocked"; data: { n: number } }
  | { type: "Renamed"; data: { n: number } }
  | { type: "Counted"; data: { n: number } }
  | { type: "Recounted"; data: { n: number } };

const noop = () => Promise.resolve();
const handlers: EventHandlers<TestEvent> = {
  Created: { key: (e) => e.aggregateId, apply: noop },
  Stocked: { key: (e) => e.aggregateId, apply: noop },
  Renamed: { apply: noop },
  Counted: { key: (e) => e.aggregateId, latestWins: true, apply: noop },
  Recounted: { key: (e) => e.aggregateId, latestWins: true, apply: noop },
};

function plan(log: EventLog): string[] {
  return planBatch(log.events, handlers).map((s) =>
    `${s.type}:${s.events.map((e) => e.data.n).join(",")}`
  );
}

Deno.test("planBatch() groups the events of different entities into one step per type", () => {
  const log = new EventLog();
  for (const [n, id] of ["a", "b", "c"].entries()) {
    log.record("T", id, "Created", { n: 2 * n });
    log.record("T", id, "Stocked", { n: 2 * n + 1 });
  }
  assert.deepEqual(plan(log), ["Created:0,2,4", "Stocked:1,3,5"]);
});

Deno.test("planBatch() keeps an entity's events in order across layers", () => {
  const log = new EventLog();
  log.record("T", "a", "Stocked", { n: 0 });
  log.record("T", "a", "Created", { n: 1 });
  log.record("T", "b", "Created", { n: 2 });
  log.record("T", "a", "Stocked", { n: 3 });
  assert.deepEqual(plan(log), ["Stocked:0", "Created:2", "Created:1", "Stocked:3"]);
});

Deno.test("planBatch() applies a barrier alone, after what came before it", () => {
  const log = new EventLog();
  log.record("T", "a", "Created", { n: 0 });
  log.record("T", "x", "Renamed", { n: 1 });
  log.record("T", "b", "Created", { n: 2 });
  log.record("T", "c", "Created", { n: 3 });
  assert.deepEqual(plan(log), ["Created:0", "Renamed:1", "Created:2,3"]);
});

Deno.test("planBatch() skips event types it has no handler for", () => {
  const log = new EventLog();
  log.record("T", "a", "Unknown", { n: 0 });
  log.record("T", "a", "Created", { n: 1 });
  assert.deepEqual(plan(log), ["Created:1"]);
});

Deno.test("planBatch() keeps only each key's last event of a latest-wins handler", () => {
  const log = new EventLog();
  log.record("T", "a", "Counted", { n: 0 });
  log.record("T", "b", "Counted", { n: 1 });
  log.record("T", "c", "Created", { n: 2 });
  log.record("T", "a", "Recounted", { n: 3 });
  log.record("T", "b", "Counted", { n: 4 });
  log.record("T", "x", "Renamed", { n: 5 });
  log.record("T", "a", "Counted", { n: 6 });
  // Before the barrier: a's last is Recounted 3, b's Counted 4; after it, a's Counted 6.
  assert.deepEqual(plan(log), ["Created:2", "Recounted:3", "Counted:4", "Renamed:5", "Counted:6"]);
});
