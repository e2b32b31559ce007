import assert from "node:assert/strict";
import { readModelCaughtUp } from "@shared/testing/db.ts";
import { startTestSystem } from "@shared/testing/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

const SECRET = "Jq2vXx7mQ0rB8sYc4kTn1LdWz5uHf9Ge3aPiVoR6yMk=";

const ORDER = `id customerId status subtotal tax shipping total cancelReason
  items { productId productName quantity unitPrice discountRate lineTotal }
  shippingAddress { street city postalCode }
  saga { status completedSteps currentStep failureReason startedAt completedAt }`;

Deno.test("the order API: orders, their saga and order queries through GraphQL", async (t) => {
  const system = await startTestSystem({
    PROJECTOR_POLL_MS: "100",
    SAGA_POLL_MS: "100",
    SAGA_TIMER_MS: "200",
    LOG_LEVEL: "warn",
    // Payments above 1000.00 are declined by the simulated gateway.
    PAYMENT_MODE: "fail_above",
    PAYMENT_FAIL_ABOVE: "1000.00",
    // Every process verifies tokens with this secret, not the development one.
    JWT_SECRET: SECRET,
  });
  let token: string | undefined;
  // Staff run the shop (catalogue, stock, any customer's order); customers are tested on their own.
  const staff = await bearer("clerk", ["staff"], SECRET);
  const run = async (
    query: string,
    variables: Record<string, unknown> = {},
    as: Record<string, string> = staff,
  ) => {
    const res: GraphQLResponse<Data> = await gql<Data>(
      system.gatewayUrl,
      query,
      variables,
      { ...as, ...(token ? { "x-consistency-token": token } : {}) },
    );
    if (typeof res.extensions?.consistencyToken === "string") {
      token = res.extensions.consistencyToken;
    }
    return res;
  };
  const ok = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await run(query, variables);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!;
  };
  const waitForSaga = async (orderId: string, statuses: string[]) => {
    for (let i = 0; i < 150; i++) {
      const { order } = await ok(`{ order(id: "${orderId}") { ${ORDER} } }`);
      if (order.saga && statuses.includes(order.saga.status)) return order;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`saga of ${orderId} never reached ${statuses.join("/")}`);
  };
  const customer = crypto.randomUUID();
  // The events the test's callers wrote: the saga worker keeps writing its own meanwhile.
  const writtenByCallers = async () =>
    Number(
      (await system.db.eventStore`SELECT count(*)::int AS n FROM events
        WHERE event_metadata->>'userId' IS DISTINCT FROM 'saga'`)[0]!.n,
    );
  const address = { street: "1 Main St", city: "Springfield", postalCode: "12345" };
  try {
    const { createCategory } = await ok(
      `mutation { createCategory(input: {name: "Gear"}) { id } }`,
    );
    const { createProduct: lamp } = await ok(
      `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
      { i: { name: "Lamp", price: "19.99", categoryId: createCategory.id } },
    );
    const { createProduct: desk } = await ok(
      `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
      { i: { name: "Desk", price: "600.00", categoryId: createCategory.id } },
    );
    await ok(`mutation { setStock(input: {productId: "${lamp.id}", quantity: 10}) { stock } }`);
    await ok(`mutation { setStock(input: {productId: "${desk.id}", quantity: 5}) { stock } }`);

    let confirmed: Data = {};
    await t.step("createOrder prices the items, and the saga confirms the order", async () => {
      const { createOrder } = await ok(
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER} } }`,
        {
          i: {
            customerId: customer,
            items: [{ productId: lamp.id, quantity: 3, discountRate: "0.1" }],
            shippingAddress: address,
          },
        },
      );
      // 3 × 19.99 × 0.9 = 53.973 → 53.97; tax 5.40; shipping 500.00.
      assert.deepEqual(
        [createOrder.subtotal, createOrder.tax, createOrder.shipping, createOrder.total],
        ["53.97", "5.40", "500.00", "559.37"],
      );
      assert.equal(createOrder.items[0].productName, "Lamp");
      assert.equal(createOrder.items[0].unitPrice, "19.99");
      confirmed = await waitForSaga(createOrder.id, ["completed"]);
      assert.equal(confirmed.status, "confirmed");
      assert.deepEqual(
        confirmed.saga.completedSteps.filter((s: string) => !s.startsWith("reserve")),
        ["process_payment", "arrange_shipping", "confirm_order"],
      );
      // The stock is another projection's: let it catch up before asserting on it.
      await readModelCaughtUp(system.db);
      const { product } = await ok(`{ product(id: "${lamp.id}") { stock } }`);
      assert.equal(product.stock, 7);
    });

    await t.step("a declined payment compensates: stock released and order cancelled", async () => {
      const { createOrder } = await ok(
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id total } }`,
        {
          i: {
            customerId: customer,
            items: [{ productId: desk.id, quantity: 2 }],
            shippingAddress: address,
          },
        },
      );
      assert.equal(createOrder.total, "1820.00");
      const order = await waitForSaga(createOrder.id, ["compensated"]);
      assert.equal(order.status, "cancelled");
      assert.match(order.saga.failureReason, /declined|payment/i);
      await readModelCaughtUp(system.db);
      const { product } = await ok(`{ product(id: "${desk.id}") { stock } }`);
      assert.equal(product.stock, 5);
    });

    await t.step("updateOrderStatus follows the transition table", async () => {
      const { updateOrderStatus } = await ok(
        `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "processing"}) { status } }`,
      );
      assert.equal(updateOrderStatus.status, "processing");
      const refused = await run(
        `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "pending"}) { status } }`,
      );
      assert.equal(refused.errors?.[0]?.extensions?.code, "PRECONDITION");
      const invalid = await run(
        `mutation { updateOrderStatus(input: {id: "${confirmed.id}", status: "lost"}) { status } }`,
      );
      assert.equal(invalid.errors?.[0]?.extensions?.code, "VALIDATION");
      assert.match(invalid.errors![0]!.message, /^status:/);
    });

    await t.step("cancelOrder cancels with its reason, and cannot cancel twice", async () => {
      const { cancelOrder } = await ok(
        `mutation { cancelOrder(input: {id: "${confirmed.id}", reason: "changed my mind"}) { status cancelReason } }`,
      );
      assert.deepEqual(cancelOrder, { status: "cancelled", cancelReason: "changed my mind" });
      const again = await run(
        `mutation { cancelOrder(input: {id: "${confirmed.id}", reason: "again"}) { status } }`,
      );
      assert.equal(again.errors?.[0]?.extensions?.code, "PRECONDITION");
      const order = await waitForSaga(confirmed.id, ["compensated"]);
      assert.equal(order.saga.status, "compensated");
      await readModelCaughtUp(system.db);
      const { product } = await ok(`{ product(id: "${lamp.id}") { stock } }`);
      assert.equal(product.stock, 10);
    });

    await t.step("order queries: by customer, by status, statistics, saga state", async () => {
      // Statistics are a projection of their own.
      await readModelCaughtUp(system.db);
      const data = await ok(`{
        userOrders(userId: "${customer}") { id status }
        ordersByStatus(status: "cancelled") { id }
        orderStats { totalOrders byStatus { status count } totalRevenue }
        sagaState(orderId: "${confirmed.id}") { status completedSteps }
      }`);
      assert.equal(data.userOrders.length, 2);
      assert.equal(data.ordersByStatus.length, 2);
      assert.equal(data.orderStats.totalOrders, 2);
      assert.deepEqual(
        data.orderStats.byStatus.filter((s: Data) => s.count > 0),
        [{ status: "cancelled", count: 2 }],
      );
      assert.equal(data.orderStats.totalRevenue, "0.00");
      assert.equal(data.sagaState.status, "compensated");
    });

    await t.step("invalid orders are refused with VALIDATION naming the field", async () => {
      const cases: [Data, RegExp][] = [
        [{ customerId: customer, items: [], shippingAddress: address }, /^items:/],
        [{
          customerId: customer,
          items: [{ productId: lamp.id, quantity: 0 }],
          shippingAddress: address,
        }, /^items\.0\.quantity:/],
        [{
          customerId: customer,
          items: [{ productId: lamp.id, quantity: 1, discountRate: "1.5" }],
          shippingAddress: address,
        }, /^items\.0\.discountRate:/],
        [{
          customerId: "nope",
          items: [{ productId: lamp.id, quantity: 1 }],
          shippingAddress: address,
        }, /^customerId:/],
      ];
      for (const [input, pattern] of cases) {
        const res = await run(
          `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
          { i: input },
        );
        assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION", JSON.stringify(res));
        assert.match(res.errors![0]!.message, pattern);
      }
      const missing = await run(
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
        {
          i: {
            customerId: customer,
            items: [{ productId: crypto.randomUUID(), quantity: 1 }],
            shippingAddress: address,
          },
        },
      );
      assert.equal(missing.errors?.[0]?.extensions?.code, "NOT_FOUND");
    });

    await t.step("customers order, read and cancel only their own orders", async () => {
      const other = crypto.randomUUID();
      const asCustomer = await bearer(customer, [], SECRET);
      const asOther = await bearer(other, ["customer"], SECRET);
      const create =
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id customerId } }`;
      const order = (customerId: string) => ({
        i: { customerId, items: [{ productId: lamp.id, quantity: 1 }], shippingAddress: address },
      });
      const code = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
      const before = await writtenByCallers();
      assert.equal(code(await run(create, order(customer), {})), "FORBIDDEN", "anonymous");
      assert.equal(code(await run(create, order(customer), asOther)), "FORBIDDEN", "for another");
      assert.equal(
        code(await run(`mutation { createCategory(input: {name: "Nope"}) { id } }`, {}, asOther)),
        "FORBIDDEN",
      );
      assert.equal(await writtenByCallers(), before, "refused mutations write nothing");
      const mine = (await run(create, order(customer), asCustomer)).data!.createOrder;
      assert.equal(mine.customerId, customer);
      const read = `{ order(id: "${mine.id}") { id } }`;
      assert.equal((await run(read, {}, asCustomer)).data!.order.id, mine.id);
      // Another customer's order reads as not found; a bad token is refused with 401.
      assert.equal((await run(read, {}, asOther)).data!.order, null);
      assert.equal(code(await run(read, {}, {})), "FORBIDDEN");
      assert.equal(
        code(await run(`{ userOrders(userId: "${customer}") { id } }`, {}, asOther)),
        "FORBIDDEN",
      );
      const cancel = `mutation { cancelOrder(input: {id: "${mine.id}", reason: "x"}) { status } }`;
      const count = await writtenByCallers();
      assert.equal(code(await run(cancel, {}, asOther)), "FORBIDDEN");
      assert.equal(await writtenByCallers(), count, "a refused cancel writes nothing");
      // Signed with the development secret, which this system does not accept.
      const forged = await bearer(customer);
      assert.equal(code(await run(read, {}, forged)), "UNAUTHENTICATED");
    });

    await t.step("startOrderSaga starts the saga of a pending order once", async () => {
      const { createOrder } = await ok(
        `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
        {
          i: {
            customerId: customer,
            items: [{ productId: lamp.id, quantity: 1 }],
            shippingAddress: address,
          },
        },
      );
      const res = await run(
        `mutation { startOrderSaga(input: {orderId: "${createOrder.id}"}) { id saga { status } } }`,
      );
      // Whether the worker or the mutation started it first, there is one saga and it completes.
      assert.ok(
        !res.errors || res.errors[0]?.extensions?.code === "PRECONDITION",
        JSON.stringify(res.errors),
      );
      const order = await waitForSaga(createOrder.id, ["completed"]);
      assert.equal(order.status, "confirmed");
    });
  } finally {
    await system.close();
  }
});
