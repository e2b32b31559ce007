/**
 * The saga worker killed with SIGKILL between steps, twice, and restarted:
 * every saga still finishes, and every step took effect exactly once.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort } from "@shared/db/embedded.ts";
import type { OrderSagaState } from "@shared/domain/order_saga/mod.ts";
import {
  inventoryIdFor,
  paymentIdFor,
  sagaIdFor,
  shipmentIdFor,
} from "@shared/domain/shared/ids.ts";
import { type SagaHarness, startSagaHarness } from "./saga_harness.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** A saga worker as its own process, as `deno task dev` runs it. */
interface WorkerProcess {
  kill(signal: Deno.Signal): Promise<Deno.CommandStatus>;
}

async function spawnWorker(h: SagaHarness): Promise<WorkerProcess> {
  const port = freePort();
  const output = Deno.env.get("SAGA_TEST_LOGS") ? "inherit" : "null";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "services/saga/main.ts"],
    cwd: root,
    env: {
      EVENT_STORE_URL: h.db.eventStoreUrl,
      SAGA_HTTP_PORT: String(port),
      SAGA_POLL_MS: "50",
      SAGA_TIMER_MS: "50",
      // Slow outside systems keep each saga inside a step long enough to kill the worker there.
      PAYMENT_MODE: "delay",
      PAYMENT_DELAY_MS: "1500",
      CARRIER_MODE: "delay",
      CARRIER_DELAY_MS: "1500",
      LOG_LEVEL: "warn",
    },
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      assert.fail("the saga worker did not become healthy");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    async kill(signal) {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await child.status;
    },
  };
}

async function waitForAll(
  h: SagaHarness,
  orderIds: string[],
  done: (state: OrderSagaState) => boolean,
): Promise<void> {
  await Promise.all(orderIds.map((orderId) => h.waitForSaga(orderId, done, 30_000)));
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

Deno.test("the saga worker killed between steps and restarted finishes every saga exactly once", async () => {
  const h = await startSagaHarness();
  let worker: WorkerProcess | undefined;
  try {
    const a = await h.product("10.00", 10);
    const b = await h.product("20.00", 10);
    worker = await spawnWorker(h);
    const orderIds = await Promise.all(
      Array.from(
        { length: 3 },
        () => h.placeOrder([{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }]),
      ),
    );

    // Every item reserved, every charge in flight: kill.
    await waitForAll(h, orderIds, (s) => s.currentStep === "process_payment");
    assert.equal((await worker.kill("SIGKILL")).signal, "SIGKILL");
    for (const orderId of orderIds) {
      assert.deepEqual(await h.types(paymentIdFor(orderId)), [], "killed before any charge ended");
    }
    worker = await spawnWorker(h);

    // Every charge done, every booking in flight: kill again.
    await waitForAll(h, orderIds, (s) => s.currentStep === "arrange_shipping");
    await worker.kill("SIGKILL");
    for (const orderId of orderIds) {
      assert.deepEqual(await h.types(shipmentIdFor(orderId)), [], "killed before any booking");
    }
    worker = await spawnWorker(h);

    await waitForAll(h, orderIds, (s) => s.status === "completed");
    assert.equal((await worker.kill("SIGTERM")).code, 0, "a clean stop on SIGTERM");

    const stock = {
      a: (await h.events(inventoryIdFor(a))).filter((e) => e.type !== "StockSet"),
      b: (await h.events(inventoryIdFor(b))).filter((e) => e.type !== "StockSet"),
    };
    for (const orderId of orderIds) {
      for (const events of [stock.a, stock.b]) {
        const mine = events.filter((e) => e.data.orderId === orderId).map((e) => e.type);
        assert.deepEqual(mine, ["InventoryReserved"], "one reservation per item, none released");
      }
      const payment = await h.events(paymentIdFor(orderId));
      assert.deepEqual(payment.map((e) => [e.type, e.data.amount]), [
        ["PaymentProcessed", "555.00"],
      ]);
      assert.deepEqual(await h.types(shipmentIdFor(orderId)), ["ShippingArranged"]);
      const order = await h.events(orderId);
      assert.deepEqual(order.map((e) => [e.type, e.data.to]), [
        ["OrderCreated", undefined],
        ["OrderStatusChanged", "confirmed"],
      ]);
      const saga = await h.types(sagaIdFor(orderId));
      assert.equal(count(saga, "SagaStarted"), 1);
      assert.equal(count(saga, "SagaStepCompleted"), 2 + 1 + 3);
      assert.equal(count(saga, "SagaCompleted"), 1);
      assert.equal(saga.length, 8);
    }
    assert.equal(stock.a.at(-1)?.data.available, 7);
    assert.equal(stock.b.at(-1)?.data.available, 4);
    const instances = await h.db.eventStore<{ status: string }[]>`
      SELECT status FROM saga_instances ORDER BY status`;
    assert.deepEqual(instances.map((r) => r.status), ["completed", "completed", "completed"]);
    assert.deepEqual(h.errors, []);
  } finally {
    await worker?.kill("SIGKILL");
    await h.stop();
  }
});
