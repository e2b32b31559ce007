import assert from "node:assert/strict";
import { type EventHandlers, planBatch } from "./batch.ts";
import { EventLog } from "@shared/testing/read_model.ts";

type TestEvent =
  | { type: "Created"; data: { n: number } }
  | { type: "Stocked"; data: { n: number } }
  | { type: "Renamed"; data: { n: number } };

const noop = () => Promise.resolve();
const handlers: EventHandlers<TestEvent> = {
  Created: { key: (e) => e.aggregateId, apply: noop },
  Stocked: { key: (e) => e.aggregateId, apply: noop },
  Renamed: { apply: noop },
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
