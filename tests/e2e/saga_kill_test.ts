/**
 * The saga worker killed with SIGKILL inside its steps, twice, and restarted:
 * every saga still finishes, and every step took effect exactly once. The
 * worker sends its steps to the command service over gRPC; the command
 * service calls the payment gateway and carrier, which run in this test
 * process, so what they charged and booked is known whatever dies.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort } from "@shared/db/embedded.ts";
import { waitForAdvisoryWait } from "@shared/testing/db.ts";
import { httpCarrier, httpGateway } from "../../services/command/adapters.ts";
import type { OrderSagaState } from "@shared/domain/order_saga/mod.ts";
import {
  inventoryIdFor,
  paymentIdFor,
  sagaIdFor,
  shipmentIdFor,
} from "@shared/domain/shared/ids.ts";
import {
  type OutsideRecord,
  type SagaHarness,
  startOutsideServices,
  startSagaHarness,
} from "@shared/testing/e2e/saga.ts";

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
      COMMAND_SERVICE_ADDRESS: h.commandAddress,
      // Calls the test holds stay unanswered until the worker is killed: none may time out.
      GRPC_COMMAND_DEADLINE_MS: "120000",
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

/** Polls `check` until it holds; fails with `what` after 30 s. */
async function waitUntil(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 30_000; !(await check());) {
    if (Date.now() > deadline) assert.fail(`still waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The idempotency keys an outside service saw for one order. */
function keysOf<O>(records: Map<string, OutsideRecord<O>>, orderId: string): string[] {
  return [...records].filter(([, r]) => r.orderId === orderId).map(([key]) => key);
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

Deno.test("the saga worker killed while its charges are recorded, and while booking, charges and books each order once", async () => {
  const h = await startSagaHarness();
  const outside = startOutsideServices();
  // Calls the test holds stay unanswered for a while: none may time out.
  h.usePorts({
    paymentGateway: httpGateway({ url: outside.url, timeoutMs: 120_000 }),
    carrier: httpCarrier({ url: outside.url, timeoutMs: 120_000 }),
  });
  // A connection of the test's own, holding payment streams' advisory locks.
  const locks = await h.db.eventStore.reserve();
  let worker: WorkerProcess | undefined;
  let releaseBookings = () => {};
  let allCharged = () => {};
  try {
    const a = await h.product("10.00", 10);
    const b = await h.product("20.00", 10);
    // The gateway answers the charges together once all have come (before, a blocked append
    // could hold up the steps of another saga), and takes each payment stream's lock before it
    // acknowledges the charge: the command service gets the answer but cannot record it.
    const charged = new Promise<void>((resolve) => (allCharged = resolve));
    outside.beforeAnswer.charge = async (request) => {
      if (outside.charges.size === 3) allCharged();
      await charged;
      await locks`SELECT pg_advisory_lock(hashtextextended(${request.paymentId}::uuid::text, 0))`;
    };
    worker = await spawnWorker(h);
    const orderIds = await Promise.all(
      Array.from(
        { length: 3 },
        () => h.placeOrder([{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }]),
      ),
    );

    // Every order charged and the charge acknowledged, the command service about to record it:
    // kill the worker that asked. The command service lives on and records each charge once the
    // locks go, though its caller is gone.
    await waitUntil(
      "every order charged and acknowledged",
      () => [...outside.charges.values()].filter((c) => c.answered > 0).length === 3,
    );
    // A charge's recording waits for its stream's advisory lock.
    await waitForAdvisoryWait(h.db.eventStore, 30_000);
    assert.equal((await worker.kill("SIGKILL")).signal, "SIGKILL");
    await locks`SELECT pg_advisory_unlock_all()`;
    outside.beforeAnswer.charge = undefined;
    for (const orderId of orderIds) {
      await waitUntil(
        "the command service recording the charge",
        async () => (await h.types(paymentIdFor(orderId))).length > 0,
      );
      assert.equal(keysOf(outside.charges, orderId).length, 1, "charged once before the kill");
    }

    // Bookings are made at the carrier but not answered: kill again. The command service lives
    // on and records each booking once the carrier answers, though its caller is gone.
    const bookingsHeld = new Promise<void>((resolve) => (releaseBookings = resolve));
    outside.beforeAnswer.booking = () => bookingsHeld;
    worker = await spawnWorker(h);
    await waitUntil("every order booked", () => outside.bookings.size === 3);
    await worker.kill("SIGKILL");
    for (const orderId of orderIds) {
      assert.deepEqual(await h.types(shipmentIdFor(orderId)), [], "the booking is not recorded");
    }
    releaseBookings();
    outside.beforeAnswer.booking = undefined;
    for (const orderId of orderIds) {
      await waitUntil(
        "the command service recording the booking",
        async () => (await h.types(shipmentIdFor(orderId))).length > 0,
      );
    }
    // The restarted worker sends the steps it has not seen end again, under the same ids:
    // nothing new is charged, booked or recorded.
    worker = await spawnWorker(h);

    await waitForAll(h, orderIds, (s) => s.status === "completed");
    assert.equal((await worker.kill("SIGTERM")).code, 0, "a clean stop on SIGTERM");

    const stock = {
      a: (await h.events(inventoryIdFor(a))).filter((e) => e.type !== "StockSet"),
      b: (await h.events(inventoryIdFor(b))).filter((e) => e.type !== "StockSet"),
    };
    assert.equal(outside.charges.size, 3, "one charge per order at the gateway");
    assert.equal(outside.bookings.size, 3, "one booking per order at the carrier");
    assert.deepEqual(outside.undone, [], "nothing refunded or cancelled");
    for (const orderId of orderIds) {
      for (const events of [stock.a, stock.b]) {
        const mine = events.filter((e) => e.data.orderId === orderId).map((e) => e.type);
        assert.deepEqual(mine, ["InventoryReserved"], "one reservation per item, none released");
      }
      const [chargeKey, ...otherCharges] = keysOf(outside.charges, orderId);
      assert.deepEqual(otherCharges, [], "one idempotency key per order's charge");
      const charged = outside.charges.get(chargeKey!)!;
      assert.equal(
        charged.calls,
        1,
        "the charge, recorded before the restart, was not asked again",
      );
      const payment = await h.events(paymentIdFor(orderId));
      assert.deepEqual(payment.map((e) => [e.type, e.data.amount, e.data.transactionRef]), [
        [
          "PaymentProcessed",
          "555.00",
          (charged.outcome as { transactionRef: string }).transactionRef,
        ],
      ]);
      const [bookingKey, ...otherBookings] = keysOf(outside.bookings, orderId);
      assert.deepEqual(otherBookings, [], "one idempotency key per order's booking");
      const booked = outside.bookings.get(bookingKey!)!;
      assert.equal(
        booked.calls,
        1,
        "the booking, recorded before the restart, was not asked again",
      );
      const shipment = await h.events(shipmentIdFor(orderId));
      assert.deepEqual(shipment.map((e) => [e.type, e.data.trackingNumber]), [
        ["ShippingArranged", (booked.outcome as { trackingNumber: string }).trackingNumber],
      ]);
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
    allCharged();
    releaseBookings();
    await worker?.kill("SIGKILL");
    await locks`SELECT pg_advisory_unlock_all()`.catch(() => {});
    locks.release();
    await outside.close();
    await h.stop();
  }
});
