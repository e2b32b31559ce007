import assert from "node:assert/strict";
import { readModelCaughtUp } from "@shared/testing/db.ts";
import { startTestSystem, type TestSystem } from "@shared/testing/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";
import {
  ADDRESS,
  type ApiClient,
  apiClient,
  type Data,
  given,
  ok,
  when,
} from "@shared/testing/e2e/api.ts";

const SECRET = "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=";

const ENV = {
  PROJECTOR_POLL_MS: "100",
  SAGA_POLL_MS: "100",
  SAGA_TIMER_MS: "200",
  LOG_LEVEL: "warn",
  // Payments above 1000.00 are declined by the simulated gateway.
  PAYMENT_MODE: "fail_above",
  PAYMENT_FAIL_ABOVE: "1000.00",
  // Every process verifies tokens with this secret, not the development one.
  JWT_SECRET: SECRET,
};

/** Staff run the shop (catalogue, stock, any customer's order); customers are tested on their own. */
async function setup(system: TestSystem) {
  const api = await apiClient(system, { subject: "clerk", roles: ["staff"], secret: SECRET });
  return { api, given: given(api), when: when(api), customer: crypto.randomUUID() };
}

/** A confirmed order of 3 lamps (stock 10, then 7), moved on to processing. */
async function givenProcessingOrder(api: ApiClient, customer: string) {
  const g = given(api);
  const lamp = await g.stockedProduct("Lamp", "19.99", 10);
  const order = await g.order(customer, [{ productId: lamp.id, quantity: 3 }]);
  await g.saga(order.id, ["completed"]);
  ok(
    await api.request(
      `mutation { updateOrderStatus(input: {id: "${order.id}", status: "processing"}) { status } }`,
    ),
  );
  return { lamp, order };
}

Deno.test("the order API: orders and their saga through GraphQL", async (t) => {
  const system = await startTestSystem(ENV);
  try {
    await t.step("createOrder prices the items, and the saga confirms the order", async () => {
      const { given, when, customer } = await setup(system);
      const lamp = await given.stockedProduct("Lamp", "19.99", 10);
      const createOrder = await given.order(customer, [
        { productId: lamp.id, quantity: 3, discountRate: "0.1" },
      ]);
      // 3 × 19.99 × 0.9 = 53.973 → 53.97; tax 5.40; shipping 500.00.
      assert.deepEqual(
        [createOrder.subtotal, createOrder.tax, createOrder.shipping, createOrder.total],
        ["53.97", "5.40", "500.00", "559.37"],
      );
      assert.equal(createOrder.items[0].productName, "Lamp");
      assert.equal(createOrder.items[0].unitPrice, "19.99");
      const confirmed = await given.saga(createOrder.id, ["completed"]);
      assert.equal(confirmed.status, "confirmed");
      assert.deepEqual(
        confirmed.saga.completedSteps.filter((s: string) => !s.startsWith("reserve")),
        ["process_payment", "arrange_shipping", "confirm_order"],
      );
      // The stock is another projection's: let it catch up before asserting on it.
      await readModelCaughtUp(system.db);
      const { product } = ok(await when.query(`{ product(id: "${lamp.id}") { stock } }`));
      assert.equal(product.stock, 7);
    });

    await t.step("a declined payment compensates: stock released and order cancelled", async () => {
      const { given, when, customer } = await setup(system);
      const desk = await given.stockedProduct("Desk", "600.00", 5);
      const createOrder = await given.order(customer, [{ productId: desk.id, quantity: 2 }]);
      assert.equal(createOrder.total, "1820.00");
      const order = await given.saga(createOrder.id, ["compensated"]);
      assert.equal(order.status, "cancelled");
      assert.match(order.saga.failureReason, /declined|payment/i);
      await readModelCaughtUp(system.db);
      const { product } = ok(await when.query(`{ product(id: "${desk.id}") { stock } }`));
      assert.equal(product.stock, 5);
    });

    await t.step("updateOrderStatus follows the transition table", async () => {
      const { given, when, customer } = await setup(system);
      const lamp = await given.stockedProduct("Lamp", "19.99", 10);
      const confirmed = await given.order(customer, [{ productId: lamp.id, quantity: 3 }]);
      await given.saga(confirmed.id, ["completed"]);
      const { updateOrderStatus } = ok(
        await when.mutation(
          `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "processing"}) { status } }`,
        ),
      );
      assert.equal(updateOrderStatus.status, "processing");
      const refused = await when.mutation(
        `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "pending"}) { status } }`,
      );
      assert.equal(refused.errors?.[0]?.extensions?.code, "PRECONDITION");
      const invalid = await when.mutation(
        `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "lost"}) { status } }`,
      );
      assert.equal(invalid.errors?.[0]?.extensions?.code, "VALIDATION");
      assert.match(invalid.errors![0]!.message, /^status:/);
    });

    await t.step("cancelOrder cancels with its reason, and cannot cancel twice", async () => {
      const { api, given, when, customer } = await setup(system);
      const { lamp, order: confirmed } = await givenProcessingOrder(api, customer);
      const { cancelOrder } = ok(
        await when.mutation(
          `mutation { cancelOrder(input: {id: "${confirmed.id}", reason: "changed my mind"}) { status cancelReason } }`,
        ),
      );
      assert.deepEqual(cancelOrder, { status: "cancelled", cancelReason: "changed my mind" });
      const again = await when.mutation(
        `mutation { cancelOrder(input: {id: "${confirmed.id}", reason: "again"}) { status } }`,
      );
      assert.equal(again.errors?.[0]?.extensions?.code, "PRECONDITION");
      const order = await given.saga(confirmed.id, ["compensated"]);
      assert.equal(order.saga.status, "compensated");
      await readModelCaughtUp(system.db);
      const { product } = ok(await when.query(`{ product(id: "${lamp.id}") { stock } }`));
      assert.equal(product.stock, 10);
    });

    await t.step("invalid orders are refused with VALIDATION naming the field", async () => {
      const { given, when, customer } = await setup(system);
      const lamp = await given.stockedProduct("Lamp", "19.99", 10);
      const cases: [Data, RegExp][] = [
        [{ customerId: customer, items: [], shippingAddress: ADDRESS }, /^items:/],
        [{
          customerId: customer,
          items: [{ productId: lamp.id, quantity: 0 }],
          shippingAddress: ADDRESS,
        }, /^items\.0\.quantity:/],
        [{
          customerId: customer,
          items: [{ productId: lamp.id, quantity: 1, discountRate: "1.5" }],
          shippingAddress: ADDRESS,
        }, /^items\.0\.discountRate:/],
        [{
          customerId: "nope",
          items: [{ productId: lamp.id, quantity: 1 }],
          shippingAddress: ADDRESS,
        }, /^customerId:/],
      ];
      for (const [input, pattern] of cases) {
        const res = await when.mutation(
          `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
          { i: input },
        );
        assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION", JSON.stringify(res));
        assert.match(res.errors![0]!.message, pattern);
      }
      const missing = await when.mutation(
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
        {
          i: {
            customerId: customer,
            items: [{ productId: crypto.randomUUID(), quantity: 1 }],
            shippingAddress: ADDRESS,
          },
        },
      );
      assert.equal(missing.errors?.[0]?.extensions?.code, "NOT_FOUND");
    });

    await t.step("customers order, read and cancel only their own orders", async () => {
      const { given, customer } = await setup(system);
      const lamp = await given.stockedProduct("Lamp", "19.99", 10);
      const other = crypto.randomUUID();
      const asCustomer = await apiClient(system, { subject: customer, roles: [], secret: SECRET });
      const asOther = await apiClient(system, {
        subject: other,
        roles: ["customer"],
        secret: SECRET,
      });
      const anonymous = {
        request: (query: string, variables: Record<string, unknown> = {}) =>
          gqlAs(system, query, variables, {}),
      };
      // The events the test's callers wrote: the saga worker keeps writing its own meanwhile.
      const writtenByCallers = async () =>
        Number(
          (await system.db.eventStore`SELECT count(*)::int AS n FROM events
            WHERE event_metadata->>'userId' IS DISTINCT FROM 'saga'`)[0]!.n,
        );
      const create =
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id customerId } }`;
      const order = (customerId: string) => ({
        i: { customerId, items: [{ productId: lamp.id, quantity: 1 }], shippingAddress: ADDRESS },
      });
      const code = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
      const before = await writtenByCallers();
      assert.equal(
        code(await anonymous.request(create, order(customer))),
        "FORBIDDEN",
        "anonymous",
      );
      assert.equal(
        code(await asOther.request(create, order(customer))),
        "FORBIDDEN",
        "for another",
      );
      assert.equal(
        code(await asOther.request(`mutation { createCategory(input: {name: "Nope"}) { id } }`)),
        "FORBIDDEN",
      );
      assert.equal(await writtenByCallers(), before, "refused mutations write nothing");
      const mine = (await asCustomer.request(create, order(customer))).data!.createOrder;
      assert.equal(mine.customerId, customer);
      const read = `{ order(id: "${mine.id}") { id } }`;
      assert.equal((await asCustomer.request(read)).data!.order.id, mine.id);
      // Another customer's order reads as not found; a bad token is refused with 401.
      assert.equal((await asOther.request(read)).data!.order, null);
      assert.equal(code(await anonymous.request(read)), "FORBIDDEN");
      assert.equal(
        code(await asOther.request(`{ userOrders(userId: "${customer}") { id } }`)),
        "FORBIDDEN",
      );
      const cancel = `mutation { cancelOrder(input: {id: "${mine.id}", reason: "x"}) { status } }`;
      const count = await writtenByCallers();
      assert.equal(code(await asOther.request(cancel)), "FORBIDDEN");
      assert.equal(await writtenByCallers(), count, "a refused cancel writes nothing");
      // Signed with the development secret, which this system does not accept.
      const forged = await bearer(customer);
      assert.equal(code(await gqlAs(system, read, {}, forged)), "UNAUTHENTICATED");
    });

    await t.step("startOrderSaga starts the saga of a pending order once", async () => {
      const { given, when, customer } = await setup(system);
      const lamp = await given.stockedProduct("Lamp", "19.99", 10);
      const createOrder = await given.order(customer, [{ productId: lamp.id, quantity: 1 }]);
      const res = await when.mutation(
        `mutation { startOrderSaga(input: {orderId: "${createOrder.id}"}) { id saga { status } } }`,
      );
      // Whether the worker or the mutation started it first, there is one saga and it completes.
      assert.ok(
        !res.errors || res.errors[0]?.extensions?.code === "PRECONDITION",
        JSON.stringify(res.errors),
      );
      const order = await given.saga(createOrder.id, ["completed"]);
      assert.equal(order.status, "confirmed");
    });
  } finally {
    await system.close();
  }
});

/** One request with exactly `headers`: no caller's token, no consistency token. */
async function gqlAs(
  system: TestSystem,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GraphQLResponse<Data>> {
  return await gql<Data>(system.gatewayUrl, query, variables, headers);
}

Deno.test("the order API: order queries over known orders", async () => {
  // Order statistics and listings by status count every order: this system holds only two,
  // a declined one and a confirmed one cancelled afterwards, both of one customer.
  const system = await startTestSystem(ENV);
  try {
    const { api, given, customer } = await setup(system);
    const desk = await given.stockedProduct("Desk", "600.00", 5);
    const declined = await given.order(customer, [{ productId: desk.id, quantity: 2 }]);
    await given.saga(declined.id, ["compensated"]);
    const { order: confirmed } = await givenProcessingOrder(api, customer);
    ok(
      await api.request(
        `mutation { cancelOrder(input: {id: "${confirmed.id}", reason: "changed my mind"}) { status } }`,
      ),
    );
    await given.saga(confirmed.id, ["compensated"]);
    // Statistics are a projection of their own.
    await readModelCaughtUp(system.db);
    const data = ok(
      await when(api).query(`{
        userOrders(userId: "${customer}") { id status }
        ordersByStatus(status: "cancelled") { id }
        orderStats { totalOrders byStatus { status count } totalRevenue }
        sagaState(orderId: "${confirmed.id}") { status completedSteps }
      }`),
    );
    assert.equal(data.userOrders.length, 2);
    assert.equal(data.ordersByStatus.length, 2);
    assert.equal(data.orderStats.totalOrders, 2);
    assert.deepEqual(
      data.orderStats.byStatus.filter((s: Data) => s.count > 0),
      [{ status: "cancelled", count: 2 }],
    );
    assert.equal(data.orderStats.totalRevenue, "0.00");
    assert.equal(data.sagaState.status, "compensated");
  } finally {
    await system.close();
  }
});
