import assert from "node:assert/strict";
import { deriveId, inventoryIdFor, paymentIdFor, sagaIdFor, shipmentIdFor, uuidV5 } from "./ids.ts";

Deno.test("uuidV5() matches the RFC 9562 example", () => {
  const dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  assert.equal(uuidV5("www.example.com", dns), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
});

Deno.test("deriveId() is deterministic, case-insensitive in ids, and distinct per purpose", () => {
  const order = "00000000-0000-4000-8000-00000000000A";
  assert.equal(deriveId("payment", order), deriveId("payment", order.toLowerCase()));
  const ids = [paymentIdFor(order), shipmentIdFor(order), sagaIdFor(order), inventoryIdFor(order)];
  assert.equal(new Set(ids).size, 4);
  assert.notEqual(paymentIdFor(order), order.toLowerCase());
});
