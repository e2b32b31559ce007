import assert from "node:assert/strict";
import { ValidationError } from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id, later } from "@shared/testing/fixtures/shared.ts";
import { canCharge, chargeDue, paymentDecider, paymentIdFor, refundDue } from "./mod.ts";
import { fold } from "../shared/decider.ts";
import type { PaymentEvent, ProcessPayment, RefundPayment } from "./types.ts";

const ORDER = id(100);
const PAY = paymentIdFor(ORDER);
const T = later(5);
const given = spec(paymentDecider);

const pay = (fields: Partial<ProcessPayment> = {}): ProcessPayment => ({
  type: "ProcessPayment",
  paymentId: PAY,
  orderId: ORDER,
  amount: "55.00",
  outcome: { status: "approved", transactionRef: "tx-1" },
  at: T,
  ...fields,
});
const refund: RefundPayment = { type: "RefundPayment", paymentId: PAY, orderId: ORDER, at: T };
const processed: PaymentEvent = {
  type: "PaymentProcessed",
  data: {
    paymentId: PAY,
    orderId: ORDER,
    amount: "55.00",
    transactionRef: "tx-1",
    processedAt: AT,
  },
};

Deno.test("decide() records an approved charge as PaymentProcessed", () => {
  const state = given.when(pay()).then([{
    type: "PaymentProcessed",
    data: {
      paymentId: PAY,
      orderId: ORDER,
      amount: "55.00",
      transactionRef: "tx-1",
      processedAt: T,
    },
  }]);
  assert.equal(state?.status, "processed");
  assert.equal(state?.amount, 5500);
  assert.equal(canCharge(state), false);
});

Deno.test("decide() records a declined charge as PaymentFailed", () => {
  given.when(pay({ outcome: { status: "declined", reason: "Card declined" } })).then([{
    type: "PaymentFailed",
    data: { paymentId: PAY, orderId: ORDER, amount: "55.00", reason: "Card declined", failedAt: T },
  }]);
});

Deno.test("decide() charges once: a repeated ProcessPayment emits nothing", () => {
  given.given([processed]).when(pay({ outcome: { status: "approved", transactionRef: "tx-2" } }))
    .thenNothing();
});

Deno.test("decide() refuses an amount that is not a positive decimal with 2 places", () => {
  for (const amount of ["0.00", "-1", "1.234", "x"]) {
    given.when(pay({ amount })).thenThrows(ValidationError, /amount: must be a decimal/, {
      field: "amount",
    });
  }
});

Deno.test("decide() refunds a processed payment in full", () => {
  const state = given.given([processed]).when(refund).then([{
    type: "PaymentRefunded",
    data: { paymentId: PAY, orderId: ORDER, amount: "55.00", refundedAt: T },
  }]);
  assert.equal(state?.status, "refunded");
});

Deno.test("decide() refunds once: refunding twice emits once", () => {
  const first = given.given([processed]).when(refund).events;
  given.given([processed, ...first]).when(refund).thenNothing();
});

Deno.test("decide() closes a payment that was never charged, so a late charge is not made", () => {
  const closed = given.when(refund).then([{
    type: "PaymentRefunded",
    data: { paymentId: PAY, orderId: ORDER, amount: "0.00", refundedAt: T },
  }]);
  assert.equal(canCharge(closed), false);
  given.given([...given.when(refund).events]).when(pay()).thenNothing();
});

Deno.test("chargeDue() names the amount to charge, formatted, only while nothing was charged", () => {
  assert.deepEqual(chargeDue({ amount: "55" }, null), { amount: "55.00" });
  assert.equal(chargeDue({ amount: "55.00" }, fold(paymentDecider, [processed])), null);
  const closed = fold(paymentDecider, given.when(refund).events);
  assert.equal(chargeDue({ amount: "55.00" }, closed), null);
  assert.throws(() => chargeDue({ amount: "0.00" }, null), ValidationError);
  assert.throws(
    () => chargeDue({ amount: "x" }, fold(paymentDecider, [processed])),
    ValidationError,
  );
});

Deno.test("refundDue() names what a processed charge took, and nothing once refunded", () => {
  const charged = fold(paymentDecider, [processed]);
  assert.deepEqual(refundDue(charged), { amount: "55.00", transactionRef: "tx-1" });
  assert.equal(refundDue(null), null);
  const refunded = fold(paymentDecider, given.given([processed]).when(refund).events, {
    from: charged,
  });
  assert.equal(refundDue(refunded), null);
});
