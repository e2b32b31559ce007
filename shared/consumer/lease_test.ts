import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { isTransient } from "./isolate.ts";
import {
  Lease,
  LeaseLostError,
  lockHolders,
  openLeaseSession,
  SessionReplacedError,
} from "./lease.ts";

Deno.test("projection leases", async (t) => {
  const db = await createTestDatabases();
  const a = openLeaseSession(db.readModelUrl, "replica-a");
  const b = openLeaseSession(db.readModelUrl, "replica-b");
  const op = openLeaseSession(db.readModelUrl, "rebuild");
  const leaseA = new Lease(a, "products");
  const leaseB = new Lease(b, "products");
  const takeover = new Lease(op, "products");
  try {
    await t.step("one session at a time holds a projection's lease", async () => {
      assert.equal(await leaseA.tryAcquire(), true);
      assert.equal(await leaseA.tryAcquire(), true);
      assert.equal(await leaseB.tryAcquire(), false);
      assert.equal(await new Lease(b, "orders").tryAcquire(), true);
      const holders = await lockHolders(db.readModel, ["products", "orders"]);
      assert.deepEqual(
        holders.map((h) => `${h.consumer}:${h.kind}:${h.applicationName}`).sort(),
        ["orders:lease:replica-b", "products:lease:replica-a"],
      );
    });

    await t.step(
      "the fence lets the owner's transactions through and stops the others",
      async () => {
        await a.begin((tx) => leaseA.fence(tx));
        await assert.rejects(() => b.begin((tx) => leaseB.fence(tx)), LeaseLostError);
      },
    );

    await t.step("one fence covers the leases of a session, and names those it lost", async () => {
      // a holds products, b holds orders (the first step).
      const ordersOnA = new Lease(a, "orders");
      await a.begin((tx) => Lease.fenceAll(tx, [leaseA, new Lease(a, "categories")]));
      await assert.rejects(
        () => a.begin((tx) => Lease.fenceAll(tx, [leaseA, ordersOnA])),
        (err: Error) =>
          err instanceof LeaseLostError && err.message === 'Lost the lease of "orders"',
      );
    });

    await t.step("a takeover waits for the owner to hand over, and replicas keep off", async () => {
      const taking = takeover.takeOver(5000);
      let taken = false;
      taking.then(() => taken = true, () => {});
      // The owner sees the takeover as soon as it is asked for; it is not granted before.
      const deadline = Date.now() + 10_000;
      while (!(await leaseA.check()).takeover) {
        assert.ok(Date.now() < deadline, "the owner never saw the takeover");
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(taken, false);
      assert.deepEqual(await leaseA.check(), { held: true, takeover: true });
      await leaseA.release(["lease"]);
      await taking;
      assert.equal(await leaseA.tryAcquire(), false);
      assert.equal(await leaseB.tryAcquire(), false);
      await takeover.release();
      assert.equal(await leaseB.tryAcquire(), true);
    });

    await t.step("a takeover gives up when the owner does not hand over in time", async () => {
      await assert.rejects(() => takeover.takeOver(100), /did not hand the lease over/);
      assert.deepEqual(await leaseB.check(), { held: true, takeover: false });
    });

    await t.step("the lease goes with its session", async () => {
      await b.end();
      assert.equal(await leaseA.tryAcquire(), true);
    });
  } finally {
    await Promise.all([a.end(), b.end(), op.end()]);
    await db.drop();
  }
});

Deno.test("a replaced lease session fails the work of its old connection and goes on, holding nothing", async () => {
  const db = await createTestDatabases();
  const session = openLeaseSession(db.readModelUrl, "replaced");
  const lease = new Lease(session, "products");
  try {
    assert.equal(await lease.tryAcquire(), true);
    const generation = session.generation;
    const work = session.whileCurrent(session`SELECT pg_sleep(30)`.then(() => "answered"));
    session.replace(generation);
    // The batch it cut off is retried as a whole, never taken for a poison event.
    await assert.rejects(work, (err) => err instanceof SessionReplacedError && isTransient(err));
    // Only the stalled connection is replaced: a second report of the same stall does nothing.
    session.replace(generation);
    assert.equal(session.generation, generation + 1);
    // The new connection is a new session: it holds no lock.
    assert.deepEqual(await lease.check(), { held: false, takeover: false });
    assert.equal(await session.whileCurrent(session`SELECT 1 AS one`.then((r) => r[0]!.one)), 1);
  } finally {
    await session.end({ timeout: 1 });
    await db.drop();
  }
});
