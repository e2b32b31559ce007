import assert from "node:assert/strict";
import { RestartBackoff } from "./backoff.ts";

Deno.test("RestartBackoff doubles the delay of a process that keeps dying, up to its cap", () => {
  const backoff = new RestartBackoff({ initialMs: 100, maxMs: 500, resetAfterMs: 60_000 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => backoff.next()), [100, 200, 400, 500, 500]);
  assert.equal(backoff.restarts, 5);
});

Deno.test("RestartBackoff starts from the first delay after a run that lasted", () => {
  const backoff = new RestartBackoff({ initialMs: 100, maxMs: 500, resetAfterMs: 0 });
  backoff.next();
  backoff.next();
  backoff.started();
  assert.equal(backoff.next(), 100);
});
