import assert from "node:assert/strict";
import { UnavailableError } from "@shared/errors/mod.ts";
import { asUnavailable, isDatabaseUnavailable } from "./unavailable.ts";

Deno.test("a refused, dropped or starting database is UNAVAILABLE, so a write is retried, not failed", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
  });
  const starting = Object.assign(new Error("the database system is starting up"), {
    code: "57P03",
  });
  const dropped = new Error("This socket has been ended by the other party");
  const timedOut = Object.assign(new Error("write CONNECT_TIMEOUT"), { code: "CONNECT_TIMEOUT" });
  for (const err of [refused, starting, dropped, timedOut]) {
    assert.ok(asUnavailable(err) instanceof UnavailableError, err.message);
  }
});

Deno.test("a statement the database refused keeps its own error", () => {
  const unique = Object.assign(new Error("duplicate key value"), { code: "23505" });
  assert.equal(isDatabaseUnavailable(unique), false);
  assert.equal(asUnavailable(unique), unique);
  assert.equal(isDatabaseUnavailable("ECONNREFUSED"), false);
  assert.equal(isDatabaseUnavailable(null), false);
});
