import assert from "node:assert/strict";
import { diffStates } from "./state_diff.ts";

Deno.test("diffStates() names each changed field by its path, with JSON before and after", () => {
  assert.deepEqual(
    diffStates(
      { name: "Runner", price: 1999, tags: ["a"], version: 1 },
      { name: "Runner", price: 2500, tags: ["a", "b"], version: 2 },
    ),
    [
      { path: "price", before: "1999", after: "2500" },
      { path: "tags.1", after: '"b"' },
      { path: "version", before: "1", after: "2" },
    ],
  );
});

Deno.test("diffStates() shows a creation as one change of the whole state", () => {
  assert.deepEqual(diffStates(null, { id: "x" }), [
    { path: "(state)", before: "null", after: '{"id":"x"}' },
  ]);
  assert.deepEqual(diffStates({ a: 1 }, { a: 1 }), []);
});
