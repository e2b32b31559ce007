/**
 * Order subscriptions deliver each order's changes to its owner and to
 * staff only: over WebSocket (the token in connectionParams, as a browser
 * sends it) and over SSE (the Authorization header).
 */
import assert from "node:assert/strict";
import { type Client, createClient as createWsClient } from "graphql-ws";
import { waitForSubscriptions } from "@shared/testing/observability.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { sseSubscribe } from "@shared/testing/sse.ts";
import { startStack } from "@shared/testing/e2e/stack.ts";

const CHANGES = `subscription { orderStatusChanged { id customerId } }`;
type Change = { orderStatusChanged: { id: string; customerId: string } };

/** The WebSocket close code a client with these connectionParams is refused with, or "open". */
function closeCodeOf(
  url: string,
  connectionParams: Record<string, unknown>,
): Promise<number | string> {
  return new Promise((resolve) => {
    const client: Client = createWsClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams,
      on: {
        connected: () => {
          resolve("open");
          void client.dispose();
        },
        closed: (event) => resolve((event as CloseEvent).code),
      },
    });
    client.subscribe({ query: CHANGES }, { next: () => {}, error: () => {}, complete: () => {} });
  });
}

Deno.test("order changes reach their owner and staff, never another customer", async () => {
  const stack = await startStack();
  const clients: Client[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const { port } = await stack.gateway();
    const url = `http://127.0.0.1:${port}`;
    const wsUrl = `ws://127.0.0.1:${port}/graphql`;
    const staff = await bearer("clerk", ["staff"]);
    const alice = crypto.randomUUID();
    const bob = crypto.randomUUID();
    const asAlice = await bearer(alice);
    const asBob = await bearer(bob);
    const run = async (query: string) => {
      const res = await gql<Record<string, { id: string }>>(url, query, {}, staff);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!;
    };
    const shop = (await run(`mutation { createCategory(input: {name: "Shop"}) { id } }`))
      .createCategory!.id;
    const pen = (await run(
      `mutation { createProduct(input: {name: "Pen", price: "1.00", categoryId: "${shop}"}) { id } }`,
    )).createProduct!.id;

    // An anonymous subscriber is refused; a bad token in connectionParams closes with 4401.
    const anonymous = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(anonymous);
    const refusal = await new Promise<unknown>((resolve) =>
      anonymous.subscribe({ query: CHANGES }, {
        next: (value) => resolve(value.errors),
        error: resolve,
        complete: () => resolve("completed"),
      })
    );
    assert.match(JSON.stringify(refusal), /FORBIDDEN/);
    const forged = await bearer(alice, [], "another-secret-of-forty-characters-long!");
    assert.equal(await closeCodeOf(wsUrl, forged), 4401);
    assert.equal(await closeCodeOf(wsUrl, { authorization: 42 }), 4401);

    // Alice over WebSocket, Bob over SSE, and a staff member watching every order.
    const seenByAlice: Change[] = [];
    const seenByStaff: Change[] = [];
    for (const [params, seen] of [[asAlice, seenByAlice], [staff, seenByStaff]] as const) {
      const ws = createWsClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: params,
      });
      clients.push(ws);
      ws.subscribe({ query: CHANGES }, {
        next: (value) => {
          if (value.errors) assert.fail(JSON.stringify(value.errors));
          seen.push(value.data as Change);
        },
        error: (err) => assert.fail(String(err)),
        complete: () => {},
      });
    }
    const bobs = await sseSubscribe(url, CHANGES, {}, asBob);
    closers.push(() => bobs.close());
    await waitForSubscriptions(url, 3);

    // Staff take Bob's order first, then Alice's: each change is read with the subscriber's token.
    const order = (customerId: string) =>
      run(
        `mutation { createOrder(input: {customerId: "${customerId}", items: [{productId: "${pen}", quantity: 1}],
        shippingAddress: {street: "1 Main St", city: "Springfield", postalCode: "12345"}}) { id } }`,
      );
    const bobsOrder = (await order(bob)).createOrder!.id;
    const alicesOrder = (await order(alice)).createOrder!.id;

    const toBob = await bobs.next() as Change;
    assert.deepEqual(toBob.orderStatusChanged, { id: bobsOrder, customerId: bob });
    for (let i = 0; i < 400 && (seenByAlice.length < 1 || seenByStaff.length < 2); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    // Bob's change was announced before Alice's, so Alice's stream has already passed it by.
    assert.deepEqual(seenByAlice.map((c) => c.orderStatusChanged), [
      { id: alicesOrder, customerId: alice },
    ]);
    assert.deepEqual(seenByStaff.map((c) => c.orderStatusChanged.id), [bobsOrder, alicesOrder]);
    await assert.rejects(bobs.next(500), /No SSE event/);
  } finally {
    for (const close of closers) await close();
    for (const client of clients) await client.dispose();
    await stack.stop();
  }
});
