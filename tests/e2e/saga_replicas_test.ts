/**
 * Two saga worker replicas on one event store: one owns the worker's lease
 * and runs the sagas, the other stands by, and takes over (resuming from the
 * checkpoint) when the owner stops.
 */
import assert from "node:assert/strict";
import { paymentIdFor } from "@shared/domain/shared/ids.ts";
import type { SagaWorker } from "../../services/saga/app.ts";
import { startSagaHarness, succeedingPorts as succeed } from "@shared/testing/e2e/saga.ts";

async function ownedHere(worker: SagaWorker): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${worker.httpPort}/health`);
  const body = await res.json() as { status: string; ownedHere: boolean };
  assert.equal(body.status, "ok", "a standby is healthy too");
  return body.ownedHere;
}

Deno.test("two saga workers: one runs the sagas, the other takes over when it stops", async () => {
  const h = await startSagaHarness();
  try {
    const ports = succeed();
    const first = await h.startWorker({ ports, httpPort: 0, leaseCheckMs: 50 });
    const second = await h.startWorker({ ports, httpPort: 0, leaseCheckMs: 50 });
    assert.equal(await ownedHere(first), true);
    assert.equal(await ownedHere(second), false);

    const product = await h.product("10.00", 10);
    const before = await h.placeOrder([{ productId: product, quantity: 1 }]);
    assert.equal((await h.waitForSaga(before)).status, "completed");
    assert.equal(ports.paymentGateway.stats.calls, 1, "one replica charged, once");
    assert.equal(second.running, 0, "the standby looks after no saga");

    await first.stop();
    const deadline = Date.now() + 20_000;
    while (!(await ownedHere(second))) {
      assert.ok(Date.now() < deadline, "the standby never took the lease");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await h.placeOrder([{ productId: product, quantity: 1 }]);
    assert.equal((await h.waitForSaga(after)).status, "completed");
    assert.equal(ports.paymentGateway.stats.calls, 2);
    assert.deepEqual(await h.types(paymentIdFor(before)), ["PaymentProcessed"]);
    assert.deepEqual(await h.types(paymentIdFor(after)), ["PaymentProcessed"]);
    assert.deepEqual(h.errors, []);
  } finally {
    await h.stop();
  }
});
