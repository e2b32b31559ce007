import assert from "node:assert/strict";
import { migrate } from "@shared/db/migrate.ts";
import { inventoryIdFor } from "@shared/domain/shared/ids.ts";
import { startCommandService } from "../app.ts";
import {
  commandMeta,
  recordingLogger,
  sagaSteps,
  startTestService,
  stockedProduct,
} from "@shared/testing/command.ts";

const MIGRATION = "130_inventory_reservations.sql";

Deno.test("migration 130 rebuilds the reservations record the commands wrote, from the events", async () => {
  const s = await startTestService();
  const steps = await sagaSteps(s.service);
  const rows = () =>
    s.db.eventStore<{ product: string; order: string; quantity: number; released: boolean }[]>`
      SELECT product_id::text AS product, order_id::text AS order, quantity, released
      FROM inventory_reservations ORDER BY product_id, order_id`.then((r) =>
      r.map((x) => ({ ...x }))
    );
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = await stockedProduct(s, shop, "Pen", 10);
    const ink = await stockedProduct(s, shop, "Ink", 10);
    const [held, returned, closed] = [
      crypto.randomUUID(),
      crypto.randomUUID(),
      crypto.randomUUID(),
    ];
    await steps.reserveInventory({ orderId: held, productId: pen, quantity: 3 }, commandMeta());
    await steps.reserveInventory({ orderId: held, productId: ink, quantity: 1 }, commandMeta());
    await steps.reserveInventory({ orderId: returned, productId: pen, quantity: 2 }, commandMeta());
    await steps.releaseInventory({ orderId: returned, productId: pen }, commandMeta());
    await steps.releaseInventory({ orderId: closed, productId: ink }, commandMeta());
    // Refused for lack of stock: no reservation to record.
    await steps.reserveInventory({ orderId: closed, productId: pen, quantity: 99 }, commandMeta());

    const written = await rows();
    assert.equal(written.length, 4);
    assert.deepEqual(
      written.find((r) => r.order === returned),
      { product: pen, order: returned, quantity: 2, released: true },
    );
    assert.deepEqual(
      written.find((r) => r.order === closed),
      { product: ink, order: closed, quantity: 0, released: true },
    );

    // A database from before the record: the migration fills it from the events.
    await s.db.eventStore`DROP TRIGGER inventory_reservations_follow ON events`;
    await s.db.eventStore`DROP FUNCTION inventory_reservation_follows()`;
    await s.db.eventStore`DROP TABLE inventory_reservations`;
    await s.db.eventStore`DELETE FROM schema_migrations WHERE name = ${MIGRATION}`;
    assert.deepEqual(await migrate(s.db.eventStore, "event_store"), [MIGRATION]);
    assert.deepEqual(await rows(), written);
  } finally {
    steps.close();
    await s.stop();
  }
});

Deno.test("a reservation appended by any writer is recorded, and its release gives its units back", async () => {
  const s = await startTestService();
  const steps = await sagaSteps(s.service);
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = await stockedProduct(s, shop, "Pen", 10);
    // As a command service of an older release appends it: the event alone.
    const order = crypto.randomUUID();
    await s.service.deps.store.append(inventoryIdFor(pen), [{
      type: "InventoryReserved",
      data: {
        productId: pen,
        orderId: order,
        quantity: 4,
        available: 6,
        reservedAt: "2026-01-01T00:00:00Z",
      },
    }], { aggregateType: "Inventory", expectedVersion: 1 });

    await steps.reserveInventory({ orderId: order, productId: pen, quantity: 4 }, commandMeta());
    await steps.releaseInventory({ orderId: order, productId: pen }, commandMeta());
    const events = await s.events(inventoryIdFor(pen));
    assert.deepEqual(events.map((e) => e.type), [
      "StockSet",
      "InventoryReserved",
      "InventoryReleased",
    ]);
    assert.deepEqual(events.at(-1)?.data, {
      productId: pen,
      orderId: order,
      quantity: 4,
      available: 10,
      releasedAt: events.at(-1)?.data.releasedAt,
    });
  } finally {
    steps.close();
    await s.stop();
  }
});

Deno.test("two replicas reserving the same orders at once hold each order's units once", async () => {
  const s = await startTestService();
  const errors: unknown[] = [];
  const replica = await startCommandService({
    eventStoreUrl: s.db.eventStoreUrl,
    port: 0,
    host: "127.0.0.1",
    logger: recordingLogger(errors),
  });
  const steps = [
    await sagaSteps(s.service),
    await sagaSteps(replica),
  ];
  try {
    const shop = (await s.categories.createCategory({ name: "Shop" }, commandMeta())).id;
    const pen = await stockedProduct(s, shop, "Pen", 1000);
    const orders = Array.from({ length: 40 }, () => crypto.randomUUID());
    // Each order's reservation sent twice to each replica, under different command ids.
    await Promise.all(
      orders.flatMap((orderId) =>
        [0, 1, 0, 1].map((i) =>
          steps[i]!.reserveInventory({ orderId, productId: pen, quantity: 2 }, commandMeta())
        )
      ),
    );
    const reserved = (await s.events(inventoryIdFor(pen)))
      .filter((e) => e.type === "InventoryReserved");
    assert.deepEqual(
      new Set(reserved.map((e) => e.data.orderId)),
      new Set(orders),
    );
    assert.equal(reserved.length, orders.length, "one reservation per order");
    assert.equal(reserved.at(-1)?.data.available, 1000 - 2 * orders.length);
    assert.deepEqual([...errors, ...s.internalErrors], [], "no call failed inside either replica");
  } finally {
    for (const client of steps) client.close();
    await replica.stop();
    await s.stop();
  }
});
