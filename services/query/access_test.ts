import assert from "node:assert/strict";
import { orderQueries, productQueries } from "@proto/query/v1/contract.ts";
import { AppError } from "@shared/errors/mod.ts";
import { createClient } from "@shared/grpc/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { Scenario } from "@shared/testing/read_model.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { Pipeline } from "@shared/testing/query.ts";
import { startQueryService } from "./app.ts";

async function codeOf(call: Promise<unknown>): Promise<string> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof AppError, `expected a refusal, got ${String(err)}`);
  return err.code;
}

Deno.test("the query service shows customers their own orders only", async (t) => {
  const db = await createTestDatabases();
  const pipe = new Pipeline(db);
  const service = await startQueryService({
    readModelUrl: db.readModelUrl,
    port: 0,
    host: "127.0.0.1",
    logger: createLogger("query-test"),
  });
  const address = `127.0.0.1:${service.port}`;
  const raw = createClient(orderQueries, address);
  const alice = crypto.randomUUID();
  const bob = crypto.randomUUID();
  const as = async (subject: string, roles: ("customer" | "staff")[] = []) =>
    actingAs(createClient(orderQueries, address), (await bearer(subject, roles)).authorization);
  const [asAlice, asBob, asStaff] = [await as(alice), await as(bob), await as("clerk", ["staff"])];
  const products = createClient(productQueries, address);
  try {
    const s = new Scenario();
    const shop = s.createCategory("Shop");
    const pen = s.createProduct("Pen", "2.50", shop);
    const order = s.createOrder({
      customerId: alice,
      items: [{ productId: pen, productName: "Pen", quantity: 1, unitPrice: "2.50" }],
      subtotal: "2.50",
      tax: "0.25",
      shipping: "5.00",
      total: "7.75",
    });
    s.saga(order, "SagaStarted", {
      order: { items: [{ productId: pen, quantity: 1 }], total: "7.75", shippingAddress: {} },
      stepTimeoutMs: 30_000,
      sagaTimeoutMs: 300_000,
      startedAt: s.log.now(),
    });
    await pipe.append(s);
    // The gap-safe read holds events back while any older transaction on the server is open.
    for (let i = 0; i < 200 && !(await asStaff.getOrder({ id: order })).order; i++) {
      await pipe.project();
      await new Promise((r) => setTimeout(r, 25));
    }

    await t.step("anonymous callers read the catalogue, never orders", async () => {
      assert.equal((await products.getProduct({ id: pen })).product?.name, "Pen");
      assert.equal(await codeOf(raw.getOrder({ id: order })), "FORBIDDEN");
      assert.equal(await codeOf(raw.getSagaState({ orderId: order })), "FORBIDDEN");
      assert.equal(await codeOf(raw.getOrdersByCustomer({ customerId: alice })), "FORBIDDEN");
    });

    await t.step("another customer's order reads as not found, like an unknown id", async () => {
      assert.equal((await asAlice.getOrder({ id: order })).order?.customerId, alice);
      assert.equal((await asAlice.getSagaState({ orderId: order })).saga?.status, "started");
      assert.equal((await asBob.getOrder({ id: order })).order, undefined);
      assert.equal((await asBob.getSagaState({ orderId: order })).saga, undefined);
      assert.equal((await asBob.getOrder({ id: crypto.randomUUID() })).order, undefined);
    });

    await t.step(
      "a customer lists only their own orders; lists and stats are staff's",
      async () => {
        assert.equal((await asAlice.getOrdersByCustomer({ customerId: alice })).orders.length, 1);
        assert.equal(await codeOf(asBob.getOrdersByCustomer({ customerId: alice })), "FORBIDDEN");
        assert.equal(await codeOf(asAlice.listOrders({})), "FORBIDDEN");
        assert.equal(await codeOf(asAlice.getOrdersByStatus({ status: "pending" })), "FORBIDDEN");
        assert.equal(await codeOf(asAlice.getOrderStats({})), "FORBIDDEN");
        assert.equal((await asStaff.getOrder({ id: order })).order?.id, order);
        assert.equal((await asStaff.getOrdersByCustomer({ customerId: alice })).orders.length, 1);
        assert.equal((await asStaff.listOrders({})).pageInfo.totalCount, 1);
      },
    );

    await t.step("a bad token is UNAUTHENTICATED, even for the catalogue", async () => {
      const forged = (await bearer("eve", ["admin"], "another-secret-of-forty-characters-long!"))
        .authorization;
      const err = products.getProduct({ id: pen }, { metadata: { authorization: forged } });
      assert.equal(await codeOf(err), "UNAUTHENTICATED");
    });
  } finally {
    for (const c of [raw, asAlice, asBob, asStaff, products]) c.close();
    await service.stop();
    pipe.close();
    await db.drop();
  }
});
