import assert from "node:assert/strict";
import { DEVELOPMENT_SECRET, signToken } from "../../services/gateway/auth.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import type { GraphQLResponse } from "@shared/testing/graphql.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

const ORDER = `id customerId status total shippingAddress { street city postalCode }`;
const CREATE_ORDER = `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER} } }`;

async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data> & { status: number }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { ...await res.json() as GraphQLResponse<Data>, status: res.status };
}

// The whole system runs as processes; the query service is killed with
// SIGKILL to show that a committed mutation answers from the command's result.
Deno.test("an Idempotency-Key is scoped to its caller and mutation, and replays the first answer", async (t) => {
  const system = await startTestSystem({
    PROJECTOR_POLL_MS: "100",
    CACHE_ENABLED: "false",
    // Reads fail while the query service is down: the circuit must close soon after.
    CIRCUIT_HALF_OPEN_MS: "300",
  });
  const url = system.gatewayUrl;
  // Staff, who may order for any customer: each subject is a caller of its own.
  const bearer = async (sub: string) => ({
    authorization: `Bearer ${await signToken({ sub, roles: ["staff"] }, {
      secret: DEVELOPMENT_SECRET,
    })}`,
  });
  const admin = await bearer("admin-1");
  const ok = async (
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string> = admin,
  ) => {
    const res = await post(url, query, variables, headers);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res;
  };
  const events = async (aggregateId: string, type: string) =>
    (await system.db.eventStore`
      SELECT 1 FROM events WHERE aggregate_id = ${aggregateId} AND event_type = ${type}`).length;
  const ordersOf = async (customerId: string) =>
    (await system.db.eventStore`
      SELECT aggregate_id FROM events
      WHERE event_type = 'OrderCreated' AND event_data->>'customerId' = ${customerId}`).length;
  try {
    // Without the saga worker orders stay pending, so each step sees only its own writes.
    await system.kill("saga");
    const category = (await ok(`mutation { createCategory(input: {name: "Idem"}) { id } }`, {}))
      .data!.createCategory.id;
    const product = (await ok(
      `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
      { i: { name: "Kettle", price: "10.00", categoryId: category } },
    )).data!.createProduct.id;
    const orderInput = (customerId: string, street: string, quantity = 1) => ({
      i: {
        customerId,
        items: [{ productId: product, quantity }],
        shippingAddress: { street, city: "Springfield", postalCode: "12345" },
      },
    });

    await t.step("two callers with one key each get their own order", async () => {
      const key = { "idempotency-key": `shared-${crypto.randomUUID()}` };
      const alice = crypto.randomUUID();
      const bob = crypto.randomUUID();
      const a = await ok(CREATE_ORDER, orderInput(alice, "1 Alice Rd"), {
        ...await bearer("alice"),
        ...key,
      });
      const b = await ok(CREATE_ORDER, orderInput(bob, "2 Bob Rd"), {
        ...await bearer("bob"),
        ...key,
      });
      assert.notEqual(b.data!.createOrder.id, a.data!.createOrder.id);
      assert.equal(b.data!.createOrder.customerId, bob);
      assert.equal(b.data!.createOrder.shippingAddress.street, "2 Bob Rd");
      assert.equal(await ordersOf(alice), 1);
      assert.equal(await ordersOf(bob), 1);
    });

    await t.step("one key with another input is refused with 422 and writes nothing", async () => {
      const headers = { ...await bearer("carol"), "idempotency-key": crypto.randomUUID() };
      const carol = crypto.randomUUID();
      await ok(CREATE_ORDER, orderInput(carol, "3 Carol Rd"), headers);
      const reused = await post(url, CREATE_ORDER, orderInput(carol, "3 Carol Rd", 2), headers);
      assert.equal(reused.status, 422);
      assert.equal(reused.errors?.[0]?.extensions?.code, "IDEMPOTENCY_KEY_REUSED");
      assert.equal(reused.data, null);
      assert.equal(await ordersOf(carol), 1);
    });

    await t.step("one key on another mutation is another operation and runs", async () => {
      const headers = { ...await bearer("dave"), "idempotency-key": crypto.randomUUID() };
      const dave = crypto.randomUUID();
      const order = (await ok(CREATE_ORDER, orderInput(dave, "4 Dave Rd"), headers))
        .data!.createOrder;
      const cancelled = await ok(
        `mutation ($i: CancelOrderInput!) { cancelOrder(input: $i) { id status } }`,
        { i: { id: order.id, reason: "changed my mind" } },
        headers,
      );
      assert.equal(cancelled.data!.cancelOrder.status, "cancelled");
      assert.equal(await events(order.id, "OrderCancelled"), 1);
    });

    await t.step("a replay answers the first answer, not the current state", async () => {
      const headers = { ...await bearer("erin"), "idempotency-key": crypto.randomUUID() };
      const erin = crypto.randomUUID();
      const first = (await ok(CREATE_ORDER, orderInput(erin, "5 Erin Rd"), headers)).data!;
      await ok(
        `mutation ($i: CancelOrderInput!) { cancelOrder(input: $i) { id } }`,
        { i: { id: first.createOrder.id, reason: "gone" } },
        await bearer("erin"),
      );
      const again = await ok(CREATE_ORDER, orderInput(erin, "5 Erin Rd"), headers);
      assert.deepEqual(again.data, first);
      assert.equal(first.createOrder.status, "pending");
      assert.equal(await ordersOf(erin), 1);
    });

    await t.step("anonymous callers cannot order, whatever their key", async () => {
      const headers = { "idempotency-key": `anonymous-${crypto.randomUUID()}` };
      const first = crypto.randomUUID();
      const refused = await post(url, CREATE_ORDER, orderInput(first, "7 Any Rd"), headers);
      assert.equal(refused.errors?.[0]?.extensions?.code, "FORBIDDEN");
      assert.equal(await ordersOf(first), 0);
    });

    await t.step(
      "with the query service down, a committed createOrder answers success once",
      async () => {
        await system.kill("query");
        const headers = { ...await bearer("fay"), "idempotency-key": crypto.randomUUID() };
        const fay = crypto.randomUUID();
        const first = await ok(CREATE_ORDER, orderInput(fay, "6 Fay Rd"), headers);
        const order = first.data!.createOrder;
        assert.equal(order.status, "pending");
        assert.equal(order.total.length > 0, true);
        assert.match(String(first.extensions?.consistencyToken), /^\d+:\d+$/);
        // The client saw success, yet retries (say its connection dropped): nothing new.
        const retry = await ok(CREATE_ORDER, orderInput(fay, "6 Fay Rd"), headers);
        assert.deepEqual(retry.data, first.data);
        assert.equal(await ordersOf(fay), 1);
        assert.equal(await events(order.id, "OrderCreated"), 1);

        // Every other mutation answers from its command's result too.
        const mutations: [string, Record<string, unknown>][] = [
          [
            `mutation ($i: StartOrderSagaInput!) { startOrderSaga(input: $i) { id status total } }`,
            { i: { orderId: order.id } },
          ],
          [
            `mutation ($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) { id status } }`,
            { i: { id: order.id, status: "confirmed" } },
          ],
          [
            `mutation ($i: CancelOrderInput!) { cancelOrder(input: $i) { id status cancelReason } }`,
            { i: { id: order.id, reason: "read side down" } },
          ],
          [
            `mutation { createCategory(input: {name: "Offline"}) {
            id name path { name } depth children { id } products { id } productCount createdAt } }`,
            {},
          ],
          [
            `mutation ($i: UpdateCategoryInput!) { updateCategory(input: $i) { id name path { name } } }`,
            { i: { id: category, name: "Idem renamed" } },
          ],
          [
            `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id name price stock } }`,
            { i: { name: "Offline kettle", price: "12.50", categoryId: category } },
          ],
          [
            `mutation ($i: UpdateProductInput!) { updateProduct(input: $i) { id price } }`,
            { i: { id: product, price: "11.00" } },
          ],
          [
            `mutation ($i: SetStockInput!) { setStock(input: $i) { id name stock } }`,
            { i: { productId: product, quantity: 7 } },
          ],
        ];
        const answers = [];
        for (const [query, variables] of mutations) {
          const res = await ok(query, variables, await bearer("fay"));
          assert.match(String(res.extensions?.consistencyToken), /^\d+:\d+$/);
          answers.push(Object.values(res.data!)[0]);
        }
        assert.deepEqual(answers.slice(0, 3).map((o) => o.status), [
          "pending",
          "confirmed",
          "cancelled",
        ]);
        assert.equal(answers[2].cancelReason, "read side down");
        assert.deepEqual(
          { ...answers[3], id: undefined, createdAt: undefined },
          {
            id: undefined,
            name: "Offline",
            path: [{ name: "Offline" }],
            depth: 1,
            children: [],
            products: [],
            productCount: 0,
            createdAt: undefined,
          },
        );
        assert.deepEqual(answers[4].path, [{ name: "Idem renamed" }]);
        assert.equal(answers[5].stock, 0);
        assert.equal(answers[6].price, "11.00");
        assert.deepEqual(answers[7], { id: product, name: "Kettle", stock: 7 });

        system.restart("query");
        let read: GraphQLResponse<Data> | undefined;
        for (let i = 0; i < 600; i++) {
          read = await post(url, `{ userOrders(userId: "${fay}") { id } }`, {}, admin);
          if (read.errors === undefined && read.data?.userOrders.length > 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(read?.data?.userOrders, [{ id: order.id }]);
      },
    );
  } finally {
    await system.close();
  }
});
