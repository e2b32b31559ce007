import assert from "node:assert/strict";
import { ConfigError } from "@shared/config/mod.ts";
import type { ChargeRequest } from "../command/ports.ts";
import { shareOf, simulatedCarrier, simulatedGateway } from "./adapters.ts";
import { adaptersOf, loadSagaConfig } from "./config.ts";

const URL = "postgres://postgres@127.0.0.1:5432/event_store";
const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

const charge = (amount: string, idempotencyKey: string = crypto.randomUUID()): ChargeRequest => ({
  paymentId: crypto.randomUUID(),
  orderId: crypto.randomUUID(),
  amount,
  idempotencyKey,
});

const booking = (idempotencyKey: string = crypto.randomUUID()) => ({
  shipmentId: crypto.randomUUID(),
  orderId: crypto.randomUUID(),
  address: ADDRESS,
  idempotencyKey,
});

Deno.test("simulatedGateway() approves in mode succeed, with a reference from the idempotency key", async () => {
  const gateway = simulatedGateway({ mode: "succeed" });
  assert.deepEqual(await gateway.charge(charge("55.00", "k1")), {
    status: "approved",
    transactionRef: "sim-k1",
  });
  assert.deepEqual(gateway.stats, { calls: 1, failures: 0, undone: 0 });
});

Deno.test("simulatedGateway() declines every charge in mode fail", async () => {
  const gateway = simulatedGateway({ mode: "fail" });
  const outcome = await gateway.charge(charge("1.00"));
  assert.equal(outcome.status, "declined");
  assert.equal(gateway.stats.failures, 1);
});

Deno.test("simulatedGateway() declines only amounts above the limit in mode fail_above", async () => {
  const gateway = simulatedGateway({ mode: "fail_above", failAbove: "100.00" });
  assert.equal((await gateway.charge(charge("100.00"))).status, "approved");
  const declined = await gateway.charge(charge("100.01"));
  assert.deepEqual(declined, {
    status: "declined",
    reason: "Amount 100.01 is above the limit of 100.00 (simulated gateway)",
  });
  assert.throws(() => simulatedGateway({ mode: "fail_above" }), RangeError);
});

Deno.test("simulatedGateway() declines about the given share, the same answer for the same key", async () => {
  const gateway = simulatedGateway({ mode: "fail_share", failShare: 0.3 });
  const keys = Array.from({ length: 1000 }, (_, i) => `order-${i}`);
  const outcomes = await Promise.all(keys.map((key) => gateway.charge(charge("10.00", key))));
  const declined = outcomes.filter((o) => o.status === "declined").length;
  assert.ok(declined > 240 && declined < 360, `${declined} of 1000 declined`);
  for (const [i, key] of keys.slice(0, 50).entries()) {
    assert.deepEqual(await gateway.charge(charge("10.00", key)), outcomes[i], "idempotent");
  }
  assert.ok(shareOf("a") >= 0 && shareOf("a") < 1);
  assert.equal(shareOf("a"), shareOf("a"));
});

Deno.test("simulatedGateway() answers after the delay in mode delay", async () => {
  const gateway = simulatedGateway({ mode: "delay", delayMs: 60 });
  const started = performance.now();
  assert.equal((await gateway.charge(charge("10.00"))).status, "approved");
  assert.ok(performance.now() - started >= 50);
});

Deno.test("simulatedCarrier() books, refuses all or a share, and cancels", async () => {
  const ok = simulatedCarrier({ mode: "succeed" });
  const booked = await ok.book(booking("abcdef12-0000"));
  assert.deepEqual(booked, {
    status: "arranged",
    carrier: "SimCarrier",
    trackingNumber: "SIM-ABCDEF12",
  });
  await ok.cancel({
    shipmentId: "s",
    orderId: "o",
    trackingNumber: "SIM-ABCDEF12",
    idempotencyKey: "k",
  });
  assert.deepEqual(ok.stats, { calls: 1, failures: 0, undone: 1 });
  assert.equal((await simulatedCarrier({ mode: "fail" }).book(booking())).status, "failed");
  const half = simulatedCarrier({ mode: "fail_share", failShare: 0.5 });
  const outcomes = await Promise.all(Array.from({ length: 400 }, () => half.book(booking())));
  const failed = outcomes.filter((o) => o.status === "failed").length;
  assert.ok(failed > 140 && failed < 260, `${failed} of 400 refused`);
});

Deno.test("loadSagaConfig() has defaults for everything but the event store URL", () => {
  const config = loadSagaConfig({ EVENT_STORE_URL: URL });
  assert.equal(config.SAGA_HTTP_PORT, 4101);
  assert.equal(config.SAGA_STEP_TIMEOUT_MS, 30_000);
  assert.equal(config.SAGA_TIMEOUT_MS, 300_000);
  assert.equal(config.PAYMENT_MODE, "succeed");
  assert.equal(config.CARRIER_MODE, "succeed");
});

Deno.test("loadSagaConfig() builds the adapters the variables describe", async () => {
  const config = loadSagaConfig({
    EVENT_STORE_URL: URL,
    PAYMENT_MODE: "fail_above",
    PAYMENT_FAIL_ABOVE: "50",
    CARRIER_MODE: "fail",
    SAGA_STEP_TIMEOUT_MS: "1500",
  });
  assert.equal(config.SAGA_STEP_TIMEOUT_MS, 1500);
  const { paymentGateway, carrier } = adaptersOf(config);
  assert.equal((await paymentGateway.charge(charge("50.00"))).status, "approved");
  assert.equal((await paymentGateway.charge(charge("50.01"))).status, "declined");
  assert.equal((await carrier.book(booking())).status, "failed");
});

Deno.test("loadSagaConfig() names every bad variable", () => {
  const bad = {
    EVENT_STORE_URL: URL,
    PAYMENT_MODE: "sometimes",
    CARRIER_MODE: "fail_share",
    PAYMENT_DELAY_MS: "-5",
    SAGA_TIMEOUT_MS: "soon",
  };
  assert.throws(() => loadSagaConfig(bad), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    for (const name of ["PAYMENT_MODE", "PAYMENT_DELAY_MS", "SAGA_TIMEOUT_MS"]) {
      assert.match(err.message, new RegExp(`${name}=`));
    }
    return true;
  });
  assert.throws(
    () => loadSagaConfig({ EVENT_STORE_URL: URL, CARRIER_MODE: "fail_share" }),
    /CARRIER_FAIL_SHARE="": is required by CARRIER_MODE=fail_share/,
  );
  assert.throws(
    () => loadSagaConfig({ EVENT_STORE_URL: URL, PAYMENT_MODE: "fail_above" }),
    /PAYMENT_FAIL_ABOVE="": is required by PAYMENT_MODE=fail_above/,
  );
  assert.throws(
    () => loadSagaConfig({ EVENT_STORE_URL: URL, PAYMENT_FAIL_SHARE: "1.5" }),
    /PAYMENT_FAIL_SHARE="1.5": must be from 0 to 1/,
  );
});
