import assert from "node:assert/strict";
import { sagaStepCommands } from "@proto/command/v1/contract.ts";
import { pendingCommands, sagaCommandId } from "@shared/domain/order_saga/mod.ts";
import {
  inventoryIdFor,
  paymentIdFor,
  sagaIdFor,
  shipmentIdFor,
} from "@shared/domain/shared/ids.ts";
import { load, sagas } from "@shared/application/aggregates.ts";
import { AppError } from "@shared/errors/mod.ts";
import { createClient } from "@shared/grpc/client.ts";
import { actingAs, bearer, sagaBearer } from "@shared/testing/auth.ts";
import {
  assertRefused,
  commandMeta,
  sagaSteps,
  startTestService,
  stockedProduct,
} from "@shared/testing/command.ts";
import type { Carrier, PaymentGateway } from "../ports.ts";

const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

Deno.test("the saga's step commands over gRPC", async (t) => {
  const calls: string[] = [];
  const gateway: PaymentGateway = {
    charge: (r) => {
      calls.push(`charge ${r.amount} ${r.idempotencyKey}`);
      return Promise.resolve(
        r.amount === "666.00"
          ? { status: "declined", reason: "Card declined" }
          : { status: "approved", transactionRef: `tx-${r.idempotencyKey}` },
      );
    },
    refund: (r) => {
      calls.push(`refund ${r.amount} ${r.transactionRef}`);
      return Promise.resolve();
    },
  };
  const carrier: Carrier = {
    book: (r) => {
      calls.push(`book ${r.address.city}`);
      return Promise.resolve({ status: "arranged", carrier: "Sim", trackingNumber: "T1" });
    },
    cancel: (r) => {
      calls.push(`cancel ${r.trackingNumber}`);
      return Promise.resolve();
    },
  };
  const s = await startTestService({ paymentGateway: gateway, carrier });
  const deps = s.service.deps;
  const address = `127.0.0.1:${s.service.port}`;
  const types = async (streamId: string) => (await s.events(streamId)).map((e) => e.type);
  /** The order's record of its reservation of the pen. */
  const reservation = (orderId: string) =>
    s.db.eventStore<{ quantity: number; released: boolean }[]>`
      SELECT quantity, released FROM inventory_reservations WHERE order_id = ${orderId}`
      .then((rows) => rows.map((r) => ({ ...r })));
  // The steps as the saga sends them: its service token, and each step's own command id.
  const steps = await sagaSteps(s.service);
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = await stockedProduct(s, shop, "Pen", 20);
    const stream = inventoryIdFor(pen);

    await t.step("reserve and release are idempotent by command id and by order", async () => {
      const order = crypto.randomUUID();
      const commandId = crypto.randomUUID();
      const first = await steps.reserveInventory(
        { orderId: order, productId: pen, quantity: 3 },
        commandMeta(commandId),
      );
      const again = await steps.reserveInventory(
        { orderId: order, productId: pen, quantity: 3 },
        commandMeta(commandId),
      );
      assert.deepEqual(again, first);
      // Another command id for the same order: the order's record says it is reserved.
      await steps.reserveInventory({ orderId: order, productId: pen, quantity: 3 }, commandMeta());
      assert.deepEqual(await reservation(order), [{ quantity: 3, released: false }]);
      await steps.releaseInventory({ orderId: order, productId: pen }, commandMeta());
      await steps.releaseInventory({ orderId: order, productId: pen }, commandMeta());
      assert.deepEqual(await types(stream), ["StockSet", "InventoryReserved", "InventoryReleased"]);
      assert.equal((await s.events(stream)).at(-1)?.data.available, 20);
      assert.deepEqual(await reservation(order), [{ quantity: 3, released: true }]);
    });

    await t.step(
      "a reservation after its order's release fails; the release closed it",
      async () => {
        const order = crypto.randomUUID();
        await steps.releaseInventory({ orderId: order, productId: pen }, commandMeta());
        await steps.reserveInventory(
          { orderId: order, productId: pen, quantity: 1 },
          commandMeta(),
        );
        const mine = (await s.events(stream)).filter((e) => e.data.orderId === order);
        assert.deepEqual(mine.map((e) => e.type), [
          "InventoryReleased",
          "InventoryReservationFailed",
        ]);
        assert.match(String(mine[1]?.data.reason), /already released/);
        assert.deepEqual(await reservation(order), [{ quantity: 0, released: true }]);
        assert.equal(mine[1]?.data.available, 20);
      },
    );

    await t.step("the same order reserving twice at once holds its units once", async () => {
      const order = crypto.randomUUID();
      await Promise.all(
        [1, 2, 3].map(() =>
          steps.reserveInventory({ orderId: order, productId: pen, quantity: 2 }, commandMeta())
        ),
      );
      const mine = (await s.events(stream)).filter((e) => e.data.orderId === order);
      assert.deepEqual(mine.map((e) => e.type), ["InventoryReserved"]);
      assert.deepEqual(await reservation(order), [{ quantity: 2, released: false }]);
      await steps.releaseInventory({ orderId: order, productId: pen }, commandMeta());
      assert.equal((await s.events(stream)).at(-1)?.data.available, 20);
    });

    await t.step(
      "30 concurrent reservations of a stock of 20: 20 reserved, 10 refused, none lost",
      async () => {
        const before = (await s.events(stream)).length;
        await Promise.all(
          Array.from(
            { length: 30 },
            () =>
              steps.reserveInventory(
                { orderId: crypto.randomUUID(), productId: pen, quantity: 1 },
                commandMeta(),
              ),
          ),
        );
        const events = (await s.events(stream)).slice(before);
        assert.equal(
          events.filter((e) => e.type === "InventoryReserved").length,
          20,
        );
        assert.equal(events.filter((e) => e.type === "InventoryReservationFailed").length, 10);
        assert.equal(events.findLast((e) => e.type === "InventoryReserved")?.data.available, 0);
      },
    );

    await t.step(
      "processPayment calls the gateway once per payment; refund gives it back",
      async () => {
        const order = crypto.randomUUID();
        const commandId = crypto.randomUUID();
        calls.length = 0;
        await steps.processPayment({ orderId: order, amount: "55" }, commandMeta(commandId));
        await steps.processPayment({ orderId: order, amount: "55" }, commandMeta(commandId));
        await steps.processPayment({ orderId: order, amount: "55" }, commandMeta());
        await steps.refundPayment({ orderId: order }, commandMeta());
        await steps.refundPayment({ orderId: order }, commandMeta());
        assert.deepEqual(calls, [`charge 55.00 ${commandId}`, `refund 55.00 tx-${commandId}`]);
        assert.deepEqual(await types(paymentIdFor(order)), ["PaymentProcessed", "PaymentRefunded"]);

        const declined = crypto.randomUUID();
        await steps.processPayment({ orderId: declined, amount: "666.00" }, commandMeta());
        assert.deepEqual(await types(paymentIdFor(declined)), ["PaymentFailed"]);
        await assertRefused(
          steps.processPayment({ orderId: declined, amount: "0" }, commandMeta()),
          { code: "VALIDATION", message: /amount: must be a decimal/, field: "amount" },
        );
      },
    );

    await t.step("arrangeShipping books once; cancelShipping cancels the booking", async () => {
      const order = crypto.randomUUID();
      calls.length = 0;
      await steps.arrangeShipping({ orderId: order, address: ADDRESS }, commandMeta());
      await steps.arrangeShipping({ orderId: order, address: ADDRESS }, commandMeta());
      await steps.cancelShipping({ orderId: order }, commandMeta());
      assert.deepEqual(calls, ["book Springfield", "cancel T1"]);
      assert.deepEqual(await types(shipmentIdFor(order)), [
        "ShippingArranged",
        "ShippingCancelled",
      ]);
    });

    await t.step(
      "a step RPC with the saga's token runs once per x-command-id, as the saga",
      async () => {
        const orderId = (await s.orders.createOrder(
          {
            customerId: crypto.randomUUID(),
            items: [{ productId: pen, quantity: 1 }],
            shippingAddress: ADDRESS,
          },
          commandMeta(),
        )).id;
        await s.products.setStock({ productId: pen, quantity: 5 }, commandMeta());
        await s.orders.startOrderSaga({ orderId }, commandMeta());
        const saga = await load(deps, sagas, sagaIdFor(orderId));
        const [reserve] = pendingCommands(saga.state);
        assert.equal(reserve?.commandId, sagaCommandId(orderId, `reserve-inventory/${pen}`));
        const input = { orderId, productId: pen, quantity: 1 };
        const { authorization } = await sagaBearer("tenant-7");
        const asSaga = actingAs(createClient(sagaStepCommands, address), authorization);
        try {
          const metadata = { correlationId: orderId, causationId: crypto.randomUUID() };
          const call = { metadata: { ...metadata, commandId: reserve!.commandId } };
          const first = await asSaga.reserveInventory(input, call);
          assert.deepEqual(await asSaga.reserveInventory(input, call), first);
          const reserved = (await s.events(stream)).filter((e) => e.data.orderId === orderId);
          assert.deepEqual(reserved.map((e) => e.type), ["InventoryReserved"]);
          // The saga's identity and its token's tenant, the step's id and the saga's causation.
          const recorded = reserved[0]?.metadata ?? {};
          assert.match(String(recorded.inputHash), /^[0-9a-f]{64}$/);
          assert.deepEqual(recorded, {
            ...metadata,
            commandId: reserve!.commandId,
            inputHash: recorded.inputHash,
            tenantId: "tenant-7",
            userId: "saga",
            roles: ["staff"],
          });
          // The step's id sent with another input changes nothing: the first step stands.
          await assertRefused(asSaga.reserveInventory({ ...input, quantity: 2 }, call), {
            code: "IDEMPOTENCY_KEY_REUSED",
            message: /was first used with another input/,
            field: "x-command-id",
          });
          await assertRefused(asSaga.releaseInventory({ orderId, productId: pen }), {
            code: "VALIDATION",
            message: /x-command-id: is required/,
            field: "x-command-id",
          });
          await assertRefused(
            asSaga.releaseInventory({ orderId, productId: pen }, {
              metadata: { commandId: "step-1" },
            }),
            { code: "VALIDATION", message: /must be a UUID/, field: "x-command-id" },
          );
        } finally {
          asSaga.close();
        }
        assert.equal((await s.events(stream)).filter((e) => e.data.orderId === orderId).length, 1);
      },
    );

    await t.step("no user may call a step RPC, however strong their role", async () => {
      const before = await s.eventCount();
      for (const who of [["clerk", "staff"], ["root", "admin"], ["saga", "staff"]] as const) {
        const { authorization } = await bearer(who[0], [who[1]]);
        const client = actingAs(createClient(sagaStepCommands, address), authorization);
        try {
          const err = await client.refundPayment({ orderId: crypto.randomUUID() }, commandMeta())
            .then(() => undefined, (e: unknown) => e);
          assert.ok(err instanceof AppError, `${who[0]} was let through`);
          assert.equal(err.code, "FORBIDDEN");
          assert.match(err.message, /needs a service identity/);
        } finally {
          client.close();
        }
      }
      assert.equal(await s.eventCount(), before, "nothing was written");
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    steps.close();
    await s.stop();
  }
});
