import { createHash } from "node:crypto";

/**
 * Deterministic ids. The order saga sends commands whose ids derive from the
 * order id and the step, so a command sent twice (after a restart, a retry)
 * is recognised as the same command and takes effect once. The streams that
 * belong to an order or a product (payment, shipment, inventory, saga) get ids
 * derived the same way, because a stream id is unique across aggregate types.
 */

/** The namespace of every id this project derives (a fixed, random UUID). */
export const DOMAIN_NAMESPACE = "3c6a3f2e-5d1b-4a8e-9b7c-2f4e6d8a0b1c";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A name-based UUID, version 5 (SHA-1), as RFC 9562 defines it. */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID.test(namespace)) throw new RangeError(`Namespace "${namespace}" is not a UUID`);
  const hash = createHash("sha1")
    .update(new Uint8Array(namespace.replaceAll("-", "").match(/../g)!.map((h) => parseInt(h, 16))))
    .update(new TextEncoder().encode(name))
    .digest();
  const bytes = new Uint8Array(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** A deterministic id for a purpose and the ids it derives from, e.g. `("payment", orderId)`. */
export function deriveId(purpose: string, ...parts: string[]): string {
  return uuidV5([purpose, ...parts.map((p) => p.toLowerCase())].join("/"), DOMAIN_NAMESPACE);
}

/** The stream id of a product's inventory (not the product's own stream id). */
export function inventoryIdFor(productId: string): string {
  return deriveId("inventory", productId);
}

/** The stream id of an order's payment. */
export function paymentIdFor(orderId: string): string {
  return deriveId("payment", orderId);
}

/** The stream id of an order's shipment. */
export function shipmentIdFor(orderId: string): string {
  return deriveId("shipment", orderId);
}

/** The stream id of an order's saga. */
export function sagaIdFor(orderId: string): string {
  return deriveId("order-saga", orderId);
}
