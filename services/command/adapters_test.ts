import assert from "node:assert/strict";
import { ConfigError } from "@shared/config/mod.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import type { ChargeRequest } from "./ports.ts";
import {
  httpCarrier,
  httpGateway,
  shareOf,
  simulatedCarrier,
  simulatedGateway,
} from "./adapters.ts";
import { adaptersOf, loadCommandConfig } from "./config.ts";

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

Deno.test("loadCommandConfig() has defaults for everything but the event store URL", () => {
  const config = loadCommandConfig({ EVENT_STORE_URL: URL });
  assert.equal(config.COMMAND_PORT, 50051);
  assert.equal(config.SAGA_STEP_TIMEOUT_MS, 30_000);
  assert.equal(config.SAGA_TIMEOUT_MS, 300_000);
  assert.equal(config.PAYMENT_MODE, "succeed");
  assert.equal(config.CARRIER_MODE, "succeed");
});

Deno.test("loadCommandConfig() builds the adapters the variables describe", async () => {
  const config = loadCommandConfig({
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

Deno.test("loadCommandConfig() names every bad variable", () => {
  const bad = {
    EVENT_STORE_URL: URL,
    PAYMENT_MODE: "sometimes",
    CARRIER_MODE: "fail_share",
    PAYMENT_DELAY_MS: "-5",
    SAGA_TIMEOUT_MS: "soon",
  };
  assert.throws(() => loadCommandConfig(bad), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    for (const name of ["PAYMENT_MODE", "PAYMENT_DELAY_MS", "SAGA_TIMEOUT_MS"]) {
      assert.match(err.message, new RegExp(`${name}=`));
    }
    return true;
  });
  assert.throws(
    () => loadCommandConfig({ EVENT_STORE_URL: URL, CARRIER_MODE: "fail_share" }),
    /CARRIER_FAIL_SHARE="": is required by CARRIER_MODE=fail_share/,
  );
  assert.throws(
    () => loadCommandConfig({ EVENT_STORE_URL: URL, PAYMENT_MODE: "fail_above" }),
    /PAYMENT_FAIL_ABOVE="": is required by PAYMENT_MODE=fail_above/,
  );
  assert.throws(
    () => loadCommandConfig({ EVENT_STORE_URL: URL, PAYMENT_FAIL_SHARE: "1.5" }),
    /PAYMENT_FAIL_SHARE="1.5": must be from 0 to 1/,
  );
});

/** What an outside service received. */
interface Received {
  path: string;
  key: string | null;
  body: Record<string, unknown>;
}

/** An outside service on a free port answering with `answer`; stop it with `await using`. */
function outsideService(answer: (path: string) => Response | Promise<Response>) {
  const received: Received[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = new globalThis.URL(req.url).pathname;
    received.push({ path, key: req.headers.get("idempotency-key"), body: await req.json() });
    return await answer(path);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    received,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const json = (body: unknown) => Response.json(body);

Deno.test("httpGateway() posts charges and refunds under its URL, keyed, and returns the outcome", async () => {
  const outcomes = [
    { status: "approved", transactionRef: "tx-1", extra: "dropped" },
    { status: "declined", reason: "Insufficient funds" },
  ];
  await using service = outsideService((path) =>
    path === "/v1/charges" ? json(outcomes.shift()) : new Response(null, { status: 204 })
  );
  const gateway = httpGateway({ url: service.url });
  const request = charge("55.00", "key-1");
  assert.deepEqual(await gateway.charge(request), { status: "approved", transactionRef: "tx-1" });
  assert.deepEqual(await gateway.charge(charge("9.00", "key-2")), {
    status: "declined",
    reason: "Insufficient funds",
  });
  await gateway.refund({ ...request, transactionRef: "tx-1", idempotencyKey: "key-3" });
  assert.deepEqual(service.received.map((r) => [r.path, r.key]), [
    ["/v1/charges", "key-1"],
    ["/v1/charges", "key-2"],
    ["/v1/refunds", "key-3"],
  ]);
  assert.deepEqual(service.received[0]!.body, { ...request });
});

Deno.test("httpCarrier() posts bookings and cancellations and returns the outcome", async () => {
  await using service = outsideService((path) =>
    path === "/v1/bookings"
      ? json({ status: "arranged", carrier: "Parcel Co", trackingNumber: "PC-1" })
      : json({})
  );
  const carrier = httpCarrier({ url: `${service.url}/` });
  const request = booking("key-1");
  assert.deepEqual(await carrier.book(request), {
    status: "arranged",
    carrier: "Parcel Co",
    trackingNumber: "PC-1",
  });
  await carrier.cancel({
    shipmentId: request.shipmentId,
    orderId: request.orderId,
    trackingNumber: "PC-1",
    idempotencyKey: "key-2",
  });
  assert.deepEqual(service.received.map((r) => [r.path, r.key]), [
    ["/v1/bookings", "key-1"],
    ["/v1/cancellations", "key-2"],
  ]);
  assert.deepEqual(service.received[0]!.body, { ...request });
});

Deno.test("the HTTP adapters report an unusable answer as UnavailableError, so the step is retried", async () => {
  const answers: (() => Response | Promise<Response>)[] = [
    () => new Response("overloaded", { status: 503 }),
    () => new Response("not json"),
    () => json({ status: "approved" }),
    () => json({ status: "refunded", transactionRef: "x" }),
    () => json(null),
  ];
  await using service = outsideService(() => answers.shift()!());
  const gateway = httpGateway({ url: service.url });
  for (
    const expected of [
      /HTTP 503: overloaded/,
      /not an outcome/,
      /not an outcome/,
      /not an outcome/,
      /not an outcome/,
    ]
  ) {
    await assert.rejects(gateway.charge(charge("1.00")), (err: unknown) => {
      assert.ok(err instanceof UnavailableError, String(err));
      assert.match(err.message, expected);
      return true;
    });
  }
  const carrier = httpCarrier({ url: service.url });
  answers.push(() => json({ status: "arranged", carrier: "", trackingNumber: "T" }));
  await assert.rejects(carrier.book(booking()), UnavailableError);
});

Deno.test("the HTTP adapters report an unreachable or silent service as UnavailableError", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await using silent = outsideService(async () => {
    await held;
    return json({ status: "approved", transactionRef: "late" });
  });
  await assert.rejects(
    httpGateway({ url: silent.url, timeoutMs: 50 }).charge(charge("1.00")),
    (err: unknown) =>
      err instanceof UnavailableError && /did not answer within 50 ms/.test(err.message),
  );
  release();
  const closed = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = closed.addr.port;
  closed.close();
  await assert.rejects(
    httpCarrier({ url: `http://127.0.0.1:${port}` }).book(booking()),
    UnavailableError,
  );
  assert.throws(() => httpGateway({ url: "not a url" }), RangeError);
  assert.throws(() => httpCarrier({ url: "ftp://carrier.example" }), RangeError);
});

Deno.test("loadCommandConfig() builds HTTP adapters from PAYMENT_URL and CARRIER_URL", async () => {
  await using service = outsideService((path) =>
    path === "/v1/charges"
      ? json({ status: "approved", transactionRef: "tx-http" })
      : json({ status: "failed", reason: "No van" })
  );
  const config = loadCommandConfig({
    EVENT_STORE_URL: URL,
    PAYMENT_URL: service.url,
    CARRIER_URL: service.url,
    CARRIER_TIMEOUT_MS: "2000",
  });
  const { paymentGateway, carrier } = adaptersOf(config);
  assert.deepEqual(await paymentGateway.charge(charge("1.00")), {
    status: "approved",
    transactionRef: "tx-http",
  });
  assert.deepEqual(await carrier.book(booking()), { status: "failed", reason: "No van" });
  assert.throws(
    () => loadCommandConfig({ EVENT_STORE_URL: URL, PAYMENT_URL: "payments:8080" }),
    /PAYMENT_URL="payments:8080": must be an http:\/\/ or https:\/\/ URL/,
  );
});
