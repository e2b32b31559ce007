import { z } from "zod";
import { defineService, rpc, type RpcTerms } from "@shared/grpc/contract.ts";
import {
  address,
  categoryName,
  description,
  money,
  optional,
  orderItems,
  orderStatus,
  position,
  price,
  productName,
  quantity,
  reason,
  stockQuantity,
  text,
  uuid,
} from "@shared/domain/shared/fields.ts";

const PROTO = "command/v1/command.proto";

/** What every command returns: the aggregate, its new version and its last event's position. */
export const CommandResult = z.object({
  id: uuid,
  version: z.number().int(),
  transactionId: z.string(),
  position: z.string(),
  /** What the command answers with, as JSON in the shape of a query view (see command.proto). */
  state: optional(z.string()),
});

/** `cqrs.command.v1.CategoryCommands`. */
export const categoryCommands = defineService("cqrs.command.v1.CategoryCommands", PROTO, {
  createCategory: rpc(
    { kind: "command", access: "staff" },
    z.object({
      id: optional(uuid),
      name: categoryName,
      description: optional(description),
      parentId: optional(uuid),
    }),
    CommandResult,
  ),
  updateCategory: rpc(
    { kind: "command", access: "staff" },
    z.object({
      id: uuid,
      name: optional(categoryName),
      description: optional(description),
      parentId: optional(uuid),
      makeRoot: optional(z.boolean()),
    }).refine((v) => !(v.makeRoot && v.parentId), {
      message: "must not be set together with makeRoot",
      path: ["parentId"],
    }),
    CommandResult,
  ),
  deleteCategory: rpc(
    { kind: "command", access: "admin" },
    z.object({
      id: uuid,
      reason: optional(reason),
      reassignProductsTo: optional(uuid),
    }),
    CommandResult,
  ),
});

/** `cqrs.command.v1.ProductCommands`. */
export const productCommands = defineService("cqrs.command.v1.ProductCommands", PROTO, {
  createProduct: rpc(
    { kind: "command", access: "staff" },
    z.object({
      id: optional(uuid),
      name: productName,
      description: optional(description),
      price,
      categoryId: uuid,
    }),
    CommandResult,
  ),
  updateProduct: rpc(
    { kind: "command", access: "staff" },
    z.object({
      id: uuid,
      name: optional(productName),
      description: optional(description),
      price: optional(price),
      categoryId: optional(uuid),
      changeReason: optional(reason),
    }),
    CommandResult,
  ),
  deleteProduct: rpc(
    { kind: "command", access: "admin" },
    z.object({ id: uuid, reason: optional(reason) }),
    CommandResult,
  ),
  // Undoable, unlike a delete.
  archiveProduct: rpc({ kind: "command", access: "staff" }, z.object({ id: uuid }), CommandResult),
  restoreProduct: rpc({ kind: "command", access: "staff" }, z.object({ id: uuid }), CommandResult),
  setStock: rpc(
    { kind: "command", access: "staff" },
    z.object({ productId: uuid, quantity: stockQuantity }),
    CommandResult,
  ),
});

/** `cqrs.command.v1.OrderCommands`. */
export const orderCommands = defineService("cqrs.command.v1.OrderCommands", PROTO, {
  // customerId must be the caller's subject unless staff.
  createOrder: rpc(
    { kind: "command", access: "customer-own" },
    z.object({
      id: optional(uuid),
      customerId: uuid,
      items: orderItems,
      shippingAddress: address,
    }),
    CommandResult,
  ),
  cancelOrder: rpc(
    { kind: "command", access: "customer-own" },
    z.object({ id: uuid, reason: reason.min(1, "must not be empty") }),
    CommandResult,
  ),
  updateOrderStatus: rpc(
    { kind: "command", access: "staff" },
    z.object({ id: uuid, status: orderStatus }),
    CommandResult,
  ),
  startOrderSaga: rpc(
    { kind: "command", access: "customer-own" },
    z.object({ orderId: uuid }),
    CommandResult,
  ),
});

/**
 * A step of the order saga: for its service identity only, because the steps touch stock, money
 * and deliveries without a user's order check.
 */
const SAGA_STEP: RpcTerms = { kind: "command", access: "service" };

/** `cqrs.command.v1.SagaStepCommands`: the order saga's steps, for its service identity only. */
export const sagaStepCommands = defineService("cqrs.command.v1.SagaStepCommands", PROTO, {
  reserveInventory: rpc(
    SAGA_STEP,
    z.object({ orderId: uuid, productId: uuid, quantity }),
    CommandResult,
  ),
  releaseInventory: rpc(SAGA_STEP, z.object({ orderId: uuid, productId: uuid }), CommandResult),
  processPayment: rpc(SAGA_STEP, z.object({ orderId: uuid, amount: money }), CommandResult),
  refundPayment: rpc(SAGA_STEP, z.object({ orderId: uuid }), CommandResult),
  arrangeShipping: rpc(SAGA_STEP, z.object({ orderId: uuid, address }), CommandResult),
  cancelShipping: rpc(SAGA_STEP, z.object({ orderId: uuid }), CommandResult),
});

/** A stored event as the audit trail shows it. */
export const StoredEvent = z.object({
  position: z.string(),
  transactionId: z.string(),
  eventId: z.string(),
  aggregateId: z.string(),
  aggregateType: z.string(),
  eventType: z.string(),
  version: z.number().int(),
  schemaVersion: z.number().int(),
  data: z.string(),
  metadata: z.string(),
  createdAt: z.string(),
});

/** `cqrs.command.v1.EventLog`: the audit trail. */
export const eventLog = defineService("cqrs.command.v1.EventLog", PROTO, {
  // The audit trail: every event's data and who caused it.
  listEvents: rpc(
    { kind: "list", access: "admin" },
    z.object({
      aggregateId: optional(uuid),
      eventType: optional(text(255).min(1, "must not be empty")),
      after: optional(position),
      limit: optional(
        z.number().int("must be a whole number").min(1, "must be at least 1").max(
          500,
          "must be at most 500",
        ),
      ),
    }),
    z.object({ events: z.array(StoredEvent), nextAfter: optional(z.string()) }),
  ),
  // Time travel: one aggregate's history and its state at each version, for the console.
  aggregateHistory: rpc(
    { kind: "list", access: "staff" },
    z.object({
      aggregateId: uuid,
      asOfVersion: optional(
        z.number().int("must be a whole number").min(1, "must be at least 1"),
      ),
      asOf: optional(z.iso.datetime({ offset: true, error: "must be an ISO 8601 date and time" })),
    }),
    z.object({
      aggregateType: z.string(),
      entries: z.array(z.object({ event: StoredEvent, state: z.string() })),
      version: z.number().int(),
      state: z.string(),
      truncated: z.boolean(),
    }),
  ),
});

/** Every command service contract. */
export const commandContracts = [
  categoryCommands,
  productCommands,
  orderCommands,
  sagaStepCommands,
  eventLog,
] as const;
