import assert from "node:assert/strict";
import { pendingCommands, sagaCommandId } from "@shared/domain/order_saga/mod.ts";
import {
  inventoryIdFor,
  paymentIdFor,
  sagaIdFor,
  shipmentIdFor,
} from "@shared/domain/shared/ids.ts";
import { load, sagas } from "@shared/application/aggregates.ts";
import { assertRefused, commandMeta, startTestService } from "@shared/testing/command.ts";
import type { Carrier, PaymentGateway } from "../ports.ts";
import { releaseInventory, reserveInventory } from "./inventory.ts";
import { processPayment, refundPayment } from "./payment.ts";
import { runSagaCommand } from "./saga_commands.ts";
import { arrangeShipping, cancelShipping } from "./shipment.ts";

const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

Deno.test("the saga's step commands, in-process", async (t) => {
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
  const types = async (streamId: string) => (await s.events(streamId)).map((e) => e.type);
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = (await s.products.createProduct(
      { name: "Pen", price: "1.00", categoryId: shop },
      commandMeta(),
    )).id;
    await s.products.setStock({ productId: pen, quantity: 20 }, commandMeta());
    const stream = inventoryIdFor(pen);

    await t.step("reserve and release are idempotent by command id and by order", async () => {
      const order = crypto.randomUUID();
      const commandId = crypto.randomUUID();
      const first = await reserveInventory(deps, { orderId: order, productId: pen, quantity: 3 }, {
        commandId,
      });
      const again = await reserveInventory(deps, { orderId: order, productId: pen, quantity: 3 }, {
        commandId,
      });
      assert.deepEqual(again, first);
      await releaseInventory(deps, { orderId: order, productId: pen }, {
        commandId: crypto.randomUUID(),
      });
      await releaseInventory(deps, { orderId: order, productId: pen }, {
        commandId: crypto.randomUUID(),
      });
      assert.deepEqual(await types(stream), ["StockSet", "InventoryReserved", "InventoryReleased"]);
      assert.equal((await s.events(stream)).at(-1)?.data.available, 20);
    });

    await t.step(
      "30 concurrent reservations of a stock of 20: 20 reserved, 10 refused, none lost",
      async () => {
        await Promise.all(
          Array.from(
            { length: 30 },
            () =>
              reserveInventory(
                deps,
                { orderId: crypto.randomUUID(), productId: pen, quantity: 1 },
                {
                  commandId: crypto.randomUUID(),
                },
              ),
          ),
        );
        const events = (await s.events(stream)).slice(3);
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
        await processPayment(deps, { orderId: order, amount: "55" }, { commandId });
        await processPayment(deps, { orderId: order, amount: "55" }, { commandId });
        await processPayment(deps, { orderId: order, amount: "55" }, {
          commandId: crypto.randomUUID(),
        });
        await refundPayment(deps, { orderId: order }, { commandId: crypto.randomUUID() });
        await refundPayment(deps, { orderId: order }, { commandId: crypto.randomUUID() });
        assert.deepEqual(calls, [`charge 55.00 ${commandId}`, `refund 55.00 tx-${commandId}`]);
        assert.deepEqual(await types(paymentIdFor(order)), ["PaymentProcessed", "PaymentRefunded"]);

        const declined = crypto.randomUUID();
        await processPayment(deps, { orderId: declined, amount: "666.00" }, {
          commandId: crypto.randomUUID(),
        });
        assert.deepEqual(await types(paymentIdFor(declined)), ["PaymentFailed"]);
        await assertRefused(
          processPayment(deps, { orderId: declined, amount: "0" }, {
            commandId: crypto.randomUUID(),
          }),
          { code: "VALIDATION", message: /amount: must be a decimal/, field: "amount" },
        );
      },
    );

    await t.step("arrangeShipping books once; cancelShipping cancels the booking", async () => {
      const order = crypto.randomUUID();
      calls.length = 0;
      await arrangeShipping(deps, { orderId: order, address: ADDRESS }, {
        commandId: crypto.randomUUID(),
      });
      await arrangeShipping(deps, { orderId: order, address: ADDRESS }, {
        commandId: crypto.randomUUID(),
      });
      await cancelShipping(deps, { orderId: order }, { commandId: crypto.randomUUID() });
      assert.deepEqual(calls, ["book Springfield", "cancel T1"]);
      assert.deepEqual(await types(shipmentIdFor(order)), [
        "ShippingArranged",
        "ShippingCancelled",
      ]);
      await assertRefused(
        arrangeShipping(deps, { orderId: order, address: ADDRESS }, { commandId: "step-1" }),
        { code: "VALIDATION", message: /must be a UUID/, field: "commandId" },
      );
    });

    await t.step("runSagaCommand sends what the saga decided, with its metadata", async () => {
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
      const saga = await load(deps.store, sagas, sagaIdFor(orderId));
      const [reserve] = pendingCommands(saga.state);
      assert.equal(reserve?.commandId, sagaCommandId(orderId, `reserve-inventory/${pen}`));
      const metadata = { correlationId: orderId, causationId: crypto.randomUUID() };
      await runSagaCommand(deps, reserve!, { metadata: { ...metadata, userId: "mallory" } });
      await runSagaCommand(deps, reserve!, { metadata });
      const reserved = (await s.events(stream)).filter((e) => e.data.orderId === orderId);
      assert.equal(reserved.length, 1);
      assert.equal(reserved[0]?.type, "InventoryReserved");
      // The saga acts as itself: its service identity, never a user named in the metadata.
      assert.deepEqual(reserved[0]?.metadata, {
        ...metadata,
        commandId: reserve!.commandId,
        userId: "saga",
        roles: ["staff"],
      });
      await runSagaCommand(deps, {
        commandId: sagaCommandId(orderId, "confirm-order"),
        aggregateType: "Order",
        streamId: orderId,
        command: { type: "UpdateOrderStatus", id: orderId, status: "confirmed" },
      });
      assert.deepEqual(await types(orderId), ["OrderCreated", "OrderStatusChanged"]);
    });
    assert.deepEqual(s.internalErrors, []);
  } finally {
    await s.stop();
  }
});
