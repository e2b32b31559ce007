import assert from "node:assert/strict";
import { LONE_GATEWAY } from "@shared/testing/lone_gateway.ts";
import { type GatewayOptions, startGateway } from "./app.ts";

// No service listens on these: the operations below need none.
async function withServer(
  fn: (url: string) => Promise<void>,
  options: Partial<GatewayOptions> = {},
): Promise<void> {
  const server = await startGateway({ ...LONE_GATEWAY, port: 0, host: "127.0.0.1", ...options });
  try {
    await fn(`ws://127.0.0.1:${server.port}/graphql`);
  } finally {
    await server.stop();
  }
}

/** A WebSocket with its messages queued, and its close event as a promise. */
function connect(url: string, protocols?: string) {
  const socket = new WebSocket(url, protocols);
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  socket.onmessage = (e) => {
    const message = JSON.parse(String(e.data));
    const next = waiting.shift();
    if (next) next(message);
    else queue.push(message);
  };
  // Once closed, every receive answers with the close code instead of waiting for ever.
  const closed = new Promise<CloseEvent>((resolve) =>
    socket.onclose = (e) => {
      const message = { type: "closed", code: e.code };
      queue.push(message);
      for (const next of waiting.splice(0)) next(message);
      resolve(e);
    }
  );
  const opened = new Promise<void>((resolve) => (socket.onopen = () => resolve()));
  return {
    socket,
    closed,
    opened,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    receive: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve)),
  };
}

/** A graphql-ws connection whose connection_init the gateway acknowledged. */
async function acknowledged(url: string) {
  const client = connect(url, "graphql-transport-ws");
  await client.opened;
  client.send({ type: "connection_init" });
  assert.equal((await client.receive()).type, "connection_ack");
  return client;
}

Deno.test("a WebSocket upgrade without the graphql-transport-ws subprotocol is closed with 4406", async () => {
  await withServer(async (url) => {
    const client = connect(url);
    const closed = await client.closed;
    assert.equal(closed.code, 4406);
  });
});

Deno.test("a syntax error in one operation gets an Error message; the socket and other operations go on", async () => {
  await withServer(async (url) => {
    const client = await acknowledged(url);

    client.send({ id: "bad", type: "subscribe", payload: { query: "subscription { oops" } });
    const error = await client.receive();
    assert.equal(error.type, "error");
    assert.equal(error.id, "bad");
    assert.match(JSON.stringify(error.payload), /Syntax Error/);

    client.send({ id: "good", type: "subscribe", payload: { query: "{ __typename }" } });
    assert.deepEqual(await client.receive(), {
      id: "good",
      type: "next",
      payload: { data: { __typename: "Query" } },
    });
    assert.deepEqual(await client.receive(), { id: "good", type: "complete" });
    client.socket.close(1000);
    assert.equal((await client.closed).code, 1000);
  });
});

Deno.test("an escaped variable name in a WebSocket message is read as written", async () => {
  // The first message leaves V8's JSON key cache holding `\`, after which the
  // native parser read `"\u0062"` as `\` (shared/runtime/json.ts).
  const query =
    "query ($a: Boolean!, $b: Boolean!) { a: __typename @include(if: $a) b: __typename @include(if: $b) }";
  const subscribe = (id: string, variables: string) =>
    `{"id": "${id}", "type": "subscribe", "payload": {"query": ${
      JSON.stringify(query)
    }, "variables": ${variables}}}`;
  await withServer(async (url) => {
    const client = await acknowledged(url);
    for (let round = 0; round < 2; round++) {
      client.socket.send(subscribe(`poison${round}`, '{"a": true, "\\\\": true}'));
      // $b is missing there: an answer with errors, then complete.
      assert.match(JSON.stringify(await client.receive()), /was not provided/);
      assert.equal((await client.receive()).type, "complete");
      client.socket.send(subscribe(`escaped${round}`, '{"a": true, "\\u0062": true}'));
      assert.deepEqual(await client.receive(), {
        id: `escaped${round}`,
        type: "next",
        payload: { data: { a: "Query", b: "Query" } },
      });
      assert.equal((await client.receive()).type, "complete");
    }
    client.socket.close();
    await client.closed;
  });
});

Deno.test("a WebSocket message larger than the body limit closes the socket with 4413 before it is read", async () => {
  await withServer(async (url) => {
    const client = await acknowledged(url);
    const bytes = (text: string) => new TextEncoder().encode(text).length;
    /** A subscribe message of exactly `size` bytes, with `wide` two-byte characters. */
    const message = (id: string, size: number, wide = 0) => {
      const of = (pad: number) =>
        JSON.stringify({
          id,
          type: "subscribe",
          payload: { query: `{ __typename }${" ".repeat(pad)}${"é".repeat(wide)}` },
        });
      const text = of(size - bytes(of(0)));
      assert.equal(bytes(text), size);
      return text;
    };
    // At the limit: answered.
    client.socket.send(message("small", 1000));
    assert.equal((await client.receive()).type, "next");
    assert.equal((await client.receive()).type, "complete");
    // One byte more, in fewer characters than the limit: closed, nothing answered.
    const big = message("big", 1001, 300);
    assert.ok(big.length < 1000);
    client.socket.send(big);
    const answer = await client.receive();
    assert.deepEqual(answer, { type: "closed", code: 4413 });
    const closed = await client.closed;
    assert.deepEqual([closed.code, closed.reason], [
      4413,
      "Message is larger than the limit of 1000 bytes",
    ]);
  }, { limits: { maxBodyBytes: 1000 } });
});
