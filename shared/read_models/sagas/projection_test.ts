import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { project, resetReadModel, Scenario, snapshot } from "@shared/testing/read_model.ts";
import { ordersProjection } from "../orders/projection.ts";
import { getSagaState } from "./queries.ts";

const ORDER = { items: [], total: "55.00", shippingAddress: {} };

function start(s: Scenario, orderId: string): void {
  s.saga(orderId, "SagaStarted", {
    order: ORDER,
    stepTimeoutMs: 30_000,
    sagaTimeoutMs: 300_000,
    startedAt: "2026-01-01T10:00:00.000Z",
  });
}

function complete(s: Scenario, orderId: string, step: string, productId: string | null = null) {
  s.saga(orderId, "SagaStepCompleted", {
    step,
    productId,
    completedAt: "2026-01-01T10:00:01.000Z",
  });
}

Deno.test("sagas in the orders projection", async (t) => {
  const db = await createTestDatabases();
  const sql = db.readModel;
  try {
    await t.step("follows a saga through its steps to completion", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const order = crypto.randomUUID();
      start(s, order);
      await project(sql, ordersProjection, s.events);
      let saga = await getSagaState(sql, order);
      assert.equal(saga?.status, "started");
      assert.equal(saga?.currentStep, "reserve_inventory");
      assert.equal(saga?.startedAt, "2026-01-01T10:00:00.000Z");
      const mark = s.events.length;
      complete(s, order, "reserve_inventory", crypto.randomUUID());
      complete(s, order, "reserve_inventory");
      complete(s, order, "process_payment");
      await project(sql, ordersProjection, s.log.since(mark));
      saga = await getSagaState(sql, order);
      assert.equal(saga?.status, "processing");
      assert.deepEqual(saga?.completedSteps, ["reserve_inventory", "process_payment"]);
      assert.equal(saga?.currentStep, "arrange_shipping");
      const end = s.events.length;
      complete(s, order, "arrange_shipping");
      complete(s, order, "confirm_order");
      s.saga(order, "SagaCompleted", { completedAt: "2026-01-01T10:00:05.000Z" });
      await project(sql, ordersProjection, s.log.since(end));
      saga = await getSagaState(sql, order);
      assert.equal(saga?.status, "completed");
      assert.equal(saga?.currentStep, undefined);
      assert.equal(saga?.completedAt, "2026-01-01T10:00:05.000Z");
      assert.equal(saga?.completedSteps.length, 4);
    });

    await t.step("records a failure, its compensation and the reason", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const order = crypto.randomUUID();
      start(s, order);
      complete(s, order, "reserve_inventory");
      s.saga(order, "SagaFailed", {
        step: "process_payment",
        reason: "card declined",
        failedAt: "2026-01-01T10:00:02.000Z",
      });
      s.saga(order, "SagaCompensationStarted", {
        reason: "card declined",
        compensations: [{ step: "reserve_inventory", productId: null }],
        cancelOrder: true,
        startedAt: "2026-01-01T10:00:02.000Z",
      });
      await project(sql, ordersProjection, s.events);
      let saga = await getSagaState(sql, order);
      assert.equal(saga?.status, "compensating");
      assert.equal(saga?.currentStep, "reserve_inventory");
      assert.equal(saga?.failureReason, "card declined");
      const mark = s.events.length;
      s.saga(order, "SagaStepCompensated", {
        step: "reserve_inventory",
        productId: null,
        compensatedAt: "2026-01-01T10:00:03.000Z",
      });
      s.saga(order, "SagaCompensated", { compensatedAt: "2026-01-01T10:00:04.000Z" });
      await project(sql, ordersProjection, s.log.since(mark));
      saga = await getSagaState(sql, order);
      assert.equal(saga?.status, "compensated");
      assert.equal(saga?.completedAt, "2026-01-01T10:00:04.000Z");
      assert.equal(await getSagaState(sql, crypto.randomUUID()), undefined);
    });

    await t.step("applying the same events again changes nothing", async () => {
      await resetReadModel(sql);
      const s = new Scenario();
      const order = crypto.randomUUID();
      start(s, order);
      complete(s, order, "reserve_inventory");
      await project(sql, ordersProjection, s.events);
      const once = await snapshot(sql, ["saga_states"]);
      await project(sql, ordersProjection, s.events);
      await project(sql, ordersProjection, s.events.slice(1));
      assert.equal(await snapshot(sql, ["saga_states"]), once);
    });
  } finally {
    await db.drop();
  }
});
