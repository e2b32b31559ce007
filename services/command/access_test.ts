import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { bearer } from "@shared/testing/auth.ts";
import { hostileTokens, rawCall, rawClient as rawClientOf } from "@shared/testing/grpc_raw.ts";
import { commandMeta, startTestService } from "@shared/testing/command.ts";

const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };
const PROTO = "command/v1/command.proto";

const rawClient = (address: string, service: string) => rawClientOf(address, PROTO, service);
const call = rawCall;

Deno.test("the command service authorizes every call by the verified token alone", async (t) => {
  const s = await startTestService();
  const address = `127.0.0.1:${s.service.port}`;
  const categoriesRaw = rawClient(address, "cqrs.command.v1.CategoryCommands");
  const productsRaw = rawClient(address, "cqrs.command.v1.ProductCommands");
  const ordersRaw = rawClient(address, "cqrs.command.v1.OrderCommands");
  const eventsRaw = rawClient(address, "cqrs.command.v1.EventLog");
  /** Asserts `run` is refused with `code` and that no event was written. */
  const refused = async (
    code: grpc.status,
    run: () => Promise<{ err: grpc.ServiceError | null }>,
    label: string,
  ) => {
    const before = await s.eventCount();
    const { err } = await run();
    assert.equal(err?.code, code, `${label}: ${err?.details ?? "succeeded"}`);
    assert.equal(await s.eventCount(), before, `${label}: nothing is written`);
  };
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = (await s.products.createProduct(
      { name: "Pen", price: "2.50", categoryId: shop },
      commandMeta(),
    )).id;
    const alice = crypto.randomUUID();
    const bob = crypto.randomUUID();
    const asAlice = await bearer(alice, ["customer"]);
    const asBob = await bearer(bob);
    const order = (customerId: string) => ({
      customerId,
      items: [{ productId: pen, quantity: 1 }],
      shippingAddress: ADDRESS,
    });

    await t.step("an anonymous caller is PERMISSION_DENIED for every write", async () => {
      const DENIED = grpc.status.PERMISSION_DENIED;
      await refused(DENIED, () => call(categoriesRaw, "CreateCategory", { name: "X" }), "create");
      await refused(DENIED, () => call(categoriesRaw, "DeleteCategory", { id: shop }), "delete");
      await refused(
        DENIED,
        () => call(productsRaw, "UpdateProduct", { id: pen, price: "0.01" }),
        "price",
      );
      await refused(
        DENIED,
        () => call(productsRaw, "SetStock", { productId: pen, quantity: 9 }),
        "stock",
      );
      await refused(DENIED, () => call(ordersRaw, "CreateOrder", order(alice)), "order");
      await refused(DENIED, () => call(eventsRaw, "ListEvents", {}), "audit trail");
    });

    await t.step("roles: a customer cannot change the catalogue, staff cannot delete", async () => {
      const DENIED = grpc.status.PERMISSION_DENIED;
      await refused(
        DENIED,
        () => call(categoriesRaw, "CreateCategory", { name: "X" }, asAlice),
        "customer creates a category",
      );
      const staff = await bearer("clerk", ["staff"]);
      await refused(
        DENIED,
        () => call(categoriesRaw, "DeleteCategory", { id: shop }, staff),
        "staff deletes a category",
      );
      await refused(DENIED, () => call(eventsRaw, "ListEvents", {}, staff), "staff audit trail");
    });

    await t.step(
      "x-user-id and x-tenant-id are ignored: events name the token's subject",
      async () => {
        const forged = { "x-user-id": "mallory", "x-tenant-id": "evil-corp" };
        const staff = await bearer("clerk", ["staff"]);
        const { err, id } = await call(
          categoriesRaw,
          "CreateCategory",
          { name: "Forged" },
          { ...forged, ...staff },
        );
        assert.equal(err, null);
        const [created] = await s.events(id);
        assert.equal(created?.metadata.userId, "clerk");
        assert.deepEqual(created?.metadata.roles, ["staff"]);
        assert.equal(created?.metadata.tenantId, undefined);
        // Forged identity without a token is still anonymous.
        await refused(
          grpc.status.PERMISSION_DENIED,
          () => call(categoriesRaw, "CreateCategory", { name: "Mallory" }, forged),
          "forged user without a token",
        );
      },
    );

    await t.step(
      "expired, wrong-key, alg none, exp-less and malformed tokens are UNAUTHENTICATED",
      async () => {
        const tokens = await hostileTokens();
        for (const [name, authorization] of Object.entries(tokens)) {
          await refused(
            grpc.status.UNAUTHENTICATED,
            () => call(categoriesRaw, "CreateCategory", { name: `X ${name}` }, { authorization }),
            name,
          );
        }
      },
    );

    let alicesOrder = "";
    await t.step("a customer orders for themselves only", async () => {
      await refused(
        grpc.status.PERMISSION_DENIED,
        () => call(ordersRaw, "CreateOrder", order(alice), asBob),
        "bob orders in alice's name",
      );
      const { err, id } = await call(ordersRaw, "CreateOrder", order(alice), asAlice);
      assert.equal(err, null);
      alicesOrder = id!;
      const [created] = await s.events(alicesOrder);
      assert.equal(created?.metadata.userId, alice);
      // Staff may order on a customer's behalf; the event names the staff member.
      const staff = await bearer("clerk", ["staff"]);
      const onBehalf = await call(ordersRaw, "CreateOrder", order(bob), staff);
      assert.equal(onBehalf.err, null);
      assert.equal((await s.events(onBehalf.id))[0]?.metadata.userId, "clerk");
    });

    await t.step("customer B cannot cancel or check out A's order", async () => {
      await refused(
        grpc.status.PERMISSION_DENIED,
        () => call(ordersRaw, "CancelOrder", { id: alicesOrder, reason: "mine now" }, asBob),
        "bob cancels",
      );
      await refused(
        grpc.status.PERMISSION_DENIED,
        () => call(ordersRaw, "StartOrderSaga", { orderId: alicesOrder }, asBob),
        "bob checks out",
      );
      await refused(
        grpc.status.PERMISSION_DENIED,
        () =>
          call(ordersRaw, "UpdateOrderStatus", { id: alicesOrder, status: "confirmed" }, asAlice),
        "a customer confirms",
      );
      const { err } = await call(
        ordersRaw,
        "CancelOrder",
        { id: alicesOrder, reason: "oops" },
        asAlice,
      );
      assert.equal(err, null, "alice cancels her own order");
      assert.deepEqual((await s.events(alicesOrder)).map((e) => e.type), [
        "OrderCreated",
        "OrderCancelled",
      ]);
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    for (const c of [categoriesRaw, productsRaw, ordersRaw, eventsRaw]) c.close();
    await s.stop();
  }
});
