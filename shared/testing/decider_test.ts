import assert from "node:assert/strict";
import { ConflictError } from "@shared/errors/mod.ts";
import type { Decider } from "@shared/domain/shared/decider.ts";
import { spec } from "./decider.ts";

type Event = { type: "Added"; data: { n: number } };
type Command = { type: "Add"; n: number };
const counter: Decider<Command, Event, number> = {
  decide: (command, state) => {
    if (state + command.n > 10) throw new ConflictError("Too much", { field: "n" });
    return command.n === 0 ? [] : [{ type: "Added", data: { n: command.n } }];
  },
  evolve: (state, event) => state + event.data.n,
  initialState: 0,
};

Deno.test("spec() folds the given events, asserts the decided ones and returns the new state", () => {
  const state = spec(counter).given([{ type: "Added", data: { n: 2 } }]).when({ type: "Add", n: 3 })
    .then([{ type: "Added", data: { n: 3 } }]);
  assert.equal(state, 5);
  spec(counter).when({ type: "Add", n: 0 }).thenNothing();
});

Deno.test("spec() checks the class, message and field of a refusal, and fails when nothing is thrown", () => {
  spec(counter).given([{ type: "Added", data: { n: 9 } }]).when({ type: "Add", n: 2 })
    .thenThrows(ConflictError, /Too much/, { field: "n" });
  assert.throws(() => spec(counter).when({ type: "Add", n: 1 }).thenThrows(ConflictError));
  assert.throws(() =>
    spec(counter).given([{ type: "Added", data: { n: 9 } }]).when({ type: "Add", n: 2 })
      .thenThrows(ConflictError, /Too much/, { field: "other" })
  );
  assert.throws(() => spec(counter).when({ type: "Add", n: 1 }).then([]));
});
