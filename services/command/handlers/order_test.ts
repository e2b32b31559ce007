import assert from "node:assert/strict";
import { deriveId, sagaIdFor } from "@shared/domain/shared/ids.ts";
import {
  assertRefused,
  commandMeta,
  type Refusal,
  startTestService,
} from "@shared/testing/command.ts";

const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

Deno.test("order commands over gRPC", async (t) => {
  const s = await startTestService({ sagaOptions: { stepTimeoutMs: 1000, sagaTimeoutMs: 9000 } });
  const { categories, products, orders } = s;
  const refused = async (call: () => Promise<unknown>, expected: Refusal) => {
    const before = await s.eventCount();
    await assertRefused(Promise.resolve().then(call), expected);
    assert.equal(await s.eventCount(), before, "a refused command appends nothing");
  };
  try {
    const shop = (await categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const add = async (name: string, price: string) =>
      (await products.createProduct({ name, price, categoryId: shop }, commandMeta())).id;
    const pen = await add("Pen", "2.50");
    const desk = await add("Desk", "4999.99");
    const customerId = crypto.randomUUID();
    let orderId = "";

    await t.step(
      "createOrder prices the lines from the products and computes the totals",
      async () => {
        const commandId = crypto.randomUUID();
        const result = await orders.createOrder({
          customerId,
          items: [{ productId: pen, quantity: 3, discountRate: "0.1" }, {
            productId: desk,
            quantity: 1,
          }],
          shippingAddress: ADDRESS,
        }, commandMeta(commandId));
        orderId = result.id;
        assert.equal(orderId, deriveId("order", commandId));
        const [created] = await s.events(orderId);
        assert.equal(created?.type, "OrderCreated");
        const data = created!.data as Record<string, unknown> & {
          items: Record<string, unknown>[];
        };
        assert.deepEqual(data.items.map((i) => [i.productName, i.unitPrice, i.lineTotal]), [
          ["Pen", "2.50", "6.75"],
          ["Desk", "4999.99", "4999.99"],
        ]);
        assert.deepEqual([data.subtotal, data.tax, data.shipping, data.total, data.status], [
          "5006.74",
          "500.67",
          "0.00",
          "5507.41",
          "pending",
        ]);
      },
    );

    await t.step("createOrder refusals name the rule and the field", async () => {
      await refused(() => orders.createOrder({ customerId, items: [], shippingAddress: ADDRESS }), {
        code: "VALIDATION",
        message: /items: must have at least one item/,
        field: "items",
      });
      const ghost = crypto.randomUUID();
      await refused(
        () =>
          orders.createOrder({
            customerId,
            items: [{ productId: pen, quantity: 1 }, { productId: ghost, quantity: 1 }],
            shippingAddress: ADDRESS,
          }),
        {
          code: "NOT_FOUND",
          message: new RegExp(`Cannot order product "${ghost}": it does not exist`),
          field: "items[1].productId",
        },
      );
      const gone = await add("Gone", "1.00");
      await products.deleteProduct({ id: gone }, commandMeta());
      await refused(
        () =>
          orders.createOrder({
            customerId,
            items: [{ productId: gone, quantity: 1 }],
            shippingAddress: ADDRESS,
          }),
        {
          code: "PRECONDITION",
          message: /Cannot order product "Gone": it is deleted/,
          field: "items[0].productId",
        },
      );
    });

    await t.step("racing starts of one saga all succeed, and it starts once", async () => {
      const raced = (await orders.createOrder({
        customerId,
        items: [{ productId: pen, quantity: 1 }],
        shippingAddress: ADDRESS,
      }, commandMeta())).id;
      // As the saga worker and a caller do: the one that loses finds it started.
      const results = await Promise.all(
        Array.from({ length: 6 }, () => orders.startOrderSaga({ orderId: raced }, commandMeta())),
      );
      for (const result of results) assert.equal(JSON.parse(result.state!).id, raced);
      assert.equal((await s.events(sagaIdFor(raced))).length, 1);
    });

    await t.step("startOrderSaga records SagaStarted on the saga's stream, once", async () => {
      const result = await orders.startOrderSaga({ orderId }, commandMeta());
      assert.equal(result.id, sagaIdFor(orderId));
      const again = await orders.startOrderSaga({ orderId }, commandMeta());
      assert.equal(again.version, 1);
      assert.equal(again.position, "0");
      const events = await s.events(sagaIdFor(orderId));
      assert.deepEqual(events.map((e) => [e.type, e.aggregateType]), [[
        "SagaStarted",
        "OrderSaga",
      ]]);
      assert.equal(events[0]?.data.stepTimeoutMs, 1000);
      assert.deepEqual(events[0]?.data.order, {
        items: [{ productId: pen, quantity: 3 }, { productId: desk, quantity: 1 }],
        total: "5507.41",
        shippingAddress: ADDRESS,
      });
      await refused(() => orders.startOrderSaga({ orderId: crypto.randomUUID() }), {
        code: "NOT_FOUND",
        message: /Cannot start the saga of order ".*": it does not exist/,
        field: "orderId",
      });
    });

    await t.step("updateOrderStatus follows the allowed transitions only", async () => {
      await orders.updateOrderStatus({ id: orderId, status: "processing" }, commandMeta());
      await refused(() => orders.updateOrderStatus({ id: orderId, status: "pending" }), {
        code: "PRECONDITION",
        message: /from "processing" to "pending": not an allowed transition/,
        field: "status",
      });
      await refused(() => orders.updateOrderStatus({ id: orderId, status: "lost" as "pending" }), {
        code: "VALIDATION",
        message: /must be one of/,
        field: "status",
      });
      await refused(
        () => orders.updateOrderStatus({ id: crypto.randomUUID(), status: "shipped" }),
        {
          code: "NOT_FOUND",
          message: /Order ".*" does not exist/,
          field: "id",
        },
      );
    });

    await t.step(
      "cancelOrder cancels once and refuses a second time",
      async () => {
        const result = await orders.cancelOrder(
          { id: orderId, reason: "changed my mind" },
          commandMeta(),
        );
        assert.equal(result.version, 3);
        assert.deepEqual((await s.events(orderId)).at(-1)?.data.reason, "changed my mind");
        await refused(() => orders.cancelOrder({ id: orderId, reason: "again" }), {
          code: "PRECONDITION",
          message: /Cannot cancel order ".*": it is already cancelled/,
          field: "id",
        });
        await refused(() => orders.cancelOrder({ id: orderId, reason: "" }), {
          code: "VALIDATION",
          message: /must not be empty/,
          field: "reason",
        });
      },
    );
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
