import assert from "node:assert/strict";
import { startTestSystem } from "@shared/testing/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

const SAGAS = 50;
const TERMINAL = new Set(["completed", "compensated", "failed"]);

/**
 * What any single read of an order must show: its saga and its status are
 * as of one position of the event store. The saga completes only after the
 * order is confirmed, and compensates only after it is cancelled, so a
 * finished saga beside an order that has not moved is a mixed answer.
 */
function mixed(order: { id: string; status: string; saga: { status: string } | null }) {
  const saga = order.saga?.status;
  if (saga === "completed" && order.status !== "confirmed") return true;
  if (saga === "compensated" && order.status !== "cancelled") return true;
  return false;
}

Deno.test("every read of an order shows its status and its saga as of one position", async () => {
  const system = await startTestSystem({
    PROJECTOR_POLL_MS: "50",
    SAGA_POLL_MS: "50",
    SAGA_TIMER_MS: "200",
    // Orders above 1000.00 are declined, so half the sagas compensate.
    PAYMENT_MODE: "fail_above",
    PAYMENT_FAIL_ABOVE: "1000.00",
  });
  // Staff: the catalogue, stock and every customer's orders are theirs to handle and read.
  const staff = await bearer("clerk", ["staff"]);
  const ok = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await gql<Data>(system.gatewayUrl, query, variables, staff);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!;
  };
  try {
    const { createCategory } = await ok(
      `mutation { createCategory(input: {name: "Gear"}) { id } }`,
    );
    const product = async (name: string, price: string) => {
      const { createProduct } = await ok(
        `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
        { i: { name, price, categoryId: createCategory.id } },
      );
      await ok(
        `mutation { setStock(input: {productId: "${createProduct.id}", quantity: 1000}) { stock } }`,
      );
      return createProduct.id as string;
    };
    const cheap = await product("Lamp", "10.00");
    const dear = await product("Desk", "2000.00");
    const customer = crypto.randomUUID();
    const address = { street: "1 Main St", city: "Springfield", postalCode: "12345" };
    // Placed a few at a time, so that the sagas overlap without overloading a small machine.
    const ids: string[] = [];
    for (let i = 0; i < SAGAS; i += 5) {
      ids.push(
        ...await Promise.all(
          [0, 1, 2, 3, 4].map(async (j) => {
            const { createOrder } = await ok(
              `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
              {
                i: {
                  customerId: customer,
                  items: [{ productId: (i + j) % 2 === 0 ? cheap : dear, quantity: 1 }],
                  shippingAddress: address,
                },
              },
            );
            return createOrder.id as string;
          }),
        ),
      );
    }

    const seen: string[] = [];
    let reads = 0;
    const finished = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (finished.size < SAGAS && Date.now() < deadline) {
      // One order at a time, and the whole list at once: both must agree with themselves.
      const id = ids[reads % SAGAS]!;
      const [{ order }, { userOrders }] = await Promise.all([
        ok(`{ order(id: "${id}") { id status saga { status } } }`),
        ok(`{ userOrders(userId: "${customer}", perPage: 100) { id status saga { status } } }`),
      ]);
      reads += 1 + userOrders.length;
      for (const o of [order, ...userOrders]) {
        if (mixed(o)) seen.push(`${o.id}: order ${o.status}, saga ${o.saga.status}`);
        if (o.saga && TERMINAL.has(o.saga.status)) finished.add(o.id);
      }
    }
    console.log(`${reads} order reads while ${SAGAS} sagas ran; ${seen.length} mixed`);
    assert.equal(finished.size, SAGAS, "every saga finished within a minute");
    assert.deepEqual(seen, [], "no read mixes two positions of the event store");
  } finally {
    await system.close();
  }
});
