import assert from "node:assert/strict";
import { categoryQueries } from "@proto/query/v1/contract.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { createClient } from "./client.ts";
import { bind, LIVENESS_SERVICE, type ServiceBinding, startGrpcServer } from "./server.ts";

/** CategoryQueries whose GetCategory waits for its call's signal or answers at once. */
async function serve(handler: (signal: AbortSignal) => Promise<void>) {
  const handlers: Record<
    string,
    (input: unknown, ctx: { signal: AbortSignal }) => Promise<object>
  > = Object.fromEntries(
    Object.keys(categoryQueries.methods).map((k) => [k, () => Promise.resolve({})]),
  );
  handlers.getCategory = async (_input: unknown, ctx: { signal: AbortSignal }) => {
    await handler(ctx.signal);
    return {};
  };
  const server = await startGrpcServer(
    [bind(categoryQueries, handlers as never) as ServiceBinding],
    {
      port: 0,
      host: "127.0.0.1",
      logger: createLogger("test"),
    },
  );
  const client = createClient(categoryQueries, `127.0.0.1:${server.port}`);
  return { server, client };
}

const ID = crypto.randomUUID();

Deno.test("a call its client gives up on aborts the handler's signal", async () => {
  let aborted!: () => void;
  const seen = new Promise<void>((resolve) => aborted = resolve);
  const { server, client } = await serve((signal) =>
    new Promise((resolve) => {
      signal.addEventListener("abort", () => {
        aborted();
        resolve();
      });
    })
  );
  try {
    await assert.rejects(client.getCategory({ id: ID }, { timeoutMs: 200 }), UnavailableError);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      seen,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("the handler's signal was not aborted")), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    client.close();
    await server.shutdown(100);
  }
});

Deno.test("an answered call's signal stays unaborted after its stream closes", async () => {
  const signals: AbortSignal[] = [];
  const { server, client } = await serve((signal) => {
    signals.push(signal);
    return Promise.resolve();
  });
  try {
    for (let i = 0; i < 3; i++) await client.getCategory({ id: ID });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(signals.length, 3);
    assert.deepEqual(signals.map((s) => s.aborted), [false, false, false]);
  } finally {
    client.close();
    await server.shutdown(100);
  }
});

Deno.test("drain answers the running calls first, reports NOT_SERVING and keeps the connection", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  const { server, client } = await serve(async () => {
    started();
    await held;
  });
  try {
    const call = client.getCategory({ id: ID });
    await running;
    let drained = false;
    const draining = server.drain(5000).then(() => drained = true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(drained, false, "drain waits for the running call");
    // What the health service answers (read off its map: a health client that closes right
    // after its call is what can abort this process, see docs/operations.md).
    const { statusMap } = server.health as unknown as { statusMap: Map<string, string> };
    assert.equal(statusMap.get(""), "NOT_SERVING");
    assert.equal(statusMap.get(categoryQueries.service), "NOT_SERVING");
    assert.equal(statusMap.get(LIVENESS_SERVICE), "SERVING", "a draining process is alive");
    release();
    await call;
    await draining;
    // No GOAWAY: the connection still carries calls until the process exits.
    await client.getCategory({ id: ID });
  } finally {
    client.close();
    await server.shutdown(100);
  }
});

Deno.test("a call on a closed client is UNAVAILABLE naming the service, never a plain error", async () => {
  // Nothing listens there: a closed client refuses the call before any connection.
  const client = createClient(categoryQueries, "127.0.0.1:1");
  client.close();
  const err = await client.getCategory({ id: crypto.randomUUID() }).then(
    () => assert.fail("a closed client answered"),
    (e) => e,
  );
  assert.ok(err instanceof UnavailableError, String(err));
  assert.match(err.message, /cqrs\.query\.v1\.CategoryQueries.*closing its connection/);
});
