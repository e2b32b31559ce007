import assert from "node:assert/strict";
import postgres from "postgres";
import { isConnectionFailure } from "./errors.ts";

Deno.test("a database nobody listens on is a connection failure", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const sql = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    const err = await sql`SELECT 1`.then(() => null, (e: unknown) => e);
    assert.ok(err, "the query should fail");
    assert.equal(isConnectionFailure(err), true, String(err));
  } finally {
    await sql.end({ timeout: 1 });
  }
});

Deno.test("errors of the statement itself are not connection failures", () => {
  assert.equal(isConnectionFailure({ name: "PostgresError", code: "23505" }), false);
  assert.equal(isConnectionFailure({ name: "PostgresError", code: "22P05" }), false);
  assert.equal(isConnectionFailure(new Error("boom")), false);
  assert.equal(isConnectionFailure(null), false);
  assert.equal(isConnectionFailure({ code: "57P01" }), true);
  assert.equal(isConnectionFailure({ code: "08006" }), true);
  assert.equal(isConnectionFailure(new Error("x", { cause: { code: "CONNECTION_CLOSED" } })), true);
});

Deno.test("a dropped connection or a server starting up is a connection failure", () => {
  assert.equal(
    isConnectionFailure(new Error("This socket has been ended by the other party")),
    true,
  );
  assert.equal(
    isConnectionFailure({ code: "57P03", message: "the database system is starting up" }),
    true,
  );
  assert.equal(isConnectionFailure({ code: "CONNECT_TIMEOUT" }), true);
});
