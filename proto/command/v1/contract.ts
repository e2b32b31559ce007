import { z } from "zod";
import { defineService, rpc, type RpcTerms } from "@shared/grpc/contract.ts";
import { declareProtoFile, message } from "@shared/grpc/proto_text.ts";
import { CategoryView, OrderView, ProductView } from "../../query/v1/contract.ts";
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

message("Address", address);
message("OrderItemInput", orderItems.element);

/** What every command returns: the aggregate, its new version and its last event's position. */
export const CommandResult = message(
  "CommandResult",
  z.object({
    id: uuid,
    version: z.number().int(),
    transactionId: z.string(),
    position: z.string(),
    state: optional(z.string()).describe(
      "What the command answers with, as JSON in the shape of a query view, built from the " +
        "state the command decided, with only the fields it knows (an updated product's stock, " +
        "say, is left out): the category, product or order it changed; SetStock: the product " +
        "with its new stock; StartOrderSaga: the order. A repeated command id returns the first " +
        "answer. Absent for deletes and for commands recorded before it existed.",
    ),
  }),
  "The outcome of a command: the aggregate it changed, its new version, and where its last " +
    "event sits in the global order (for read-your-writes).",
);

/** `cqrs.command.v1.CategoryCommands`. */
export const categoryCommands = defineService("cqrs.command.v1.CategoryCommands", PROTO, {
  createCategory: rpc(
    { kind: "command", access: "staff", answers: CategoryView },
    z.object({
      id: optional(uuid).describe("Optional client-chosen id (UUID); generated when omitted."),
      name: categoryName.describe("1 to 100 characters after trimming; unique among its siblings."),
      description: optional(description),
      parentId: optional(uuid).describe("Parent category; a root category when omitted."),
    }),
    CommandResult,
  ),
  updateCategory: rpc(
    { kind: "command", access: "staff", answers: CategoryView },
    z.object({
      id: uuid,
      name: optional(categoryName),
      description: optional(description),
      parentId: optional(uuid).describe("Moves the category under this parent."),
      makeRoot: optional(z.boolean()).describe(
        "Moves the category to the root (the parent must then be unset).",
      ),
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
      reassignProductsTo: optional(uuid).describe(
        "Moves the category's live products here before deleting it.",
      ),
    }),
    CommandResult,
  ),
});

/** `cqrs.command.v1.ProductCommands`. */
export const productCommands = defineService("cqrs.command.v1.ProductCommands", PROTO, {
  createProduct: rpc(
    { kind: "command", access: "staff", answers: ProductView },
    z.object({
      id: optional(uuid),
      name: productName.describe("1 to 200 characters after trimming."),
      description: optional(description),
      price: price.describe(
        'Decimal string from 0.01 to 999999.99 with at most two places, e.g. "19.99".',
      ),
      categoryId: uuid,
    }),
    CommandResult,
  ),
  updateProduct: rpc(
    { kind: "command", access: "staff", answers: ProductView },
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
  archiveProduct: rpc(
    {
      kind: "command",
      access: "staff",
      answers: ProductView,
      doc: "Takes a product out of the catalogue: no longer listed or orderable, still readable " +
        "by id. Refused as a failed precondition when it is already archived.",
    },
    z.object({ id: uuid }),
    CommandResult,
  ),
  restoreProduct: rpc(
    {
      kind: "command",
      access: "staff",
      answers: ProductView,
      doc: "Puts an archived product back into the catalogue. Refused as a failed precondition " +
        "when it is not archived.",
    },
    z.object({ id: uuid }),
    CommandResult,
  ),
  setStock: rpc(
    { kind: "command", access: "staff", answers: ProductView },
    z.object({ productId: uuid, quantity: stockQuantity }),
    CommandResult,
  ),
});

/** `cqrs.command.v1.OrderCommands`. */
export const orderCommands = defineService("cqrs.command.v1.OrderCommands", PROTO, {
  // customerId must be the caller's subject unless staff.
  createOrder: rpc(
    { kind: "command", access: "customer-own", answers: OrderView },
    z.object({
      id: optional(uuid),
      customerId: uuid,
      items: orderItems,
      shippingAddress: address,
    }),
    CommandResult,
  ),
  cancelOrder: rpc(
    { kind: "command", access: "customer-own", answers: OrderView },
    z.object({ id: uuid, reason: reason.min(1, "must not be empty") }),
    CommandResult,
  ),
  updateOrderStatus: rpc(
    { kind: "command", access: "staff", answers: OrderView },
    z.object({ id: uuid, status: orderStatus }),
    CommandResult,
  ),
  startOrderSaga: rpc(
    { kind: "command", access: "customer-own", answers: OrderView },
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
    {
      ...SAGA_STEP,
      doc: "InventoryReserved, or InventoryReservationFailed when the stock is short.",
    },
    z.object({ orderId: uuid, productId: uuid, quantity }),
    CommandResult,
  ),
  releaseInventory: rpc(SAGA_STEP, z.object({ orderId: uuid, productId: uuid }), CommandResult),
  processPayment: rpc(
    {
      ...SAGA_STEP,
      doc: "Charges the payment gateway once (x-command-id is its idempotency key): " +
        "PaymentProcessed, or PaymentFailed when it declines.",
    },
    z.object({
      orderId: uuid,
      amount: money.describe('Decimal string with at most two places, e.g. "527.50".'),
    }),
    CommandResult,
  ),
  refundPayment: rpc(SAGA_STEP, z.object({ orderId: uuid }), CommandResult),
  arrangeShipping: rpc(
    { ...SAGA_STEP, doc: "Books the carrier once: ShippingArranged, or ShippingFailed." },
    z.object({ orderId: uuid, address }),
    CommandResult,
  ),
  cancelShipping: rpc(SAGA_STEP, z.object({ orderId: uuid }), CommandResult),
});

/** A stored event as the audit trail shows it. */
export const StoredEvent = message(
  "StoredEvent",
  z.object({
    position: z.string(),
    transactionId: z.string(),
    eventId: z.string(),
    aggregateId: z.string(),
    aggregateType: z.string(),
    eventType: z.string(),
    version: z.number().int(),
    schemaVersion: z.number().int(),
    data: z.string().describe("The payload, as JSON text."),
    metadata: z.string().describe("The metadata, as JSON text."),
    createdAt: z.string(),
  }),
  "A stored event with its metadata (command, correlation, causation, user, trace).",
);

/** `cqrs.command.v1.EventLog`: the audit trail. */
export const eventLog = defineService("cqrs.command.v1.EventLog", PROTO, {
  // The audit trail: every event's data and who caused it.
  listEvents: rpc(
    { kind: "list", access: "admin" },
    z.object({
      aggregateId: optional(uuid).describe(
        "One stream, in version order; otherwise the global order.",
      ),
      eventType: optional(text(255).min(1, "must not be empty")).describe(
        "Only events of this type (global order).",
      ),
      after: optional(position).describe(
        'Continue after this position ("<transaction>:<position>", from next_after).',
      ),
      limit: optional(
        z.number().int("must be a whole number").min(1, "must be at least 1").max(
          500,
          "must be at most 500",
        ),
      ).describe("At most this many events, 1 to 500; default 100."),
    }),
    z.object({
      events: z.array(StoredEvent),
      nextAfter: optional(z.string()).describe("Pass as `after` to read on; unset at the end."),
    }),
  ),
  // Time travel: one aggregate's history and its state at each version, for the console.
  aggregateHistory: rpc(
    {
      kind: "list",
      access: "staff",
      doc: "One aggregate's events, each with the state the aggregate's evolve folds to after " +
        "it, and the state as of a version or a moment.",
    },
    z.object({
      aggregateId: uuid,
      asOfVersion: optional(
        z.number().int("must be a whole number").min(1, "must be at least 1"),
      ).describe("The state as of this version (1 or more); default the latest."),
      asOf: optional(z.iso.datetime({ offset: true, error: "must be an ISO 8601 date and time" }))
        .describe("The state as of this moment (ISO 8601): the events recorded at or before it."),
    }),
    z.object({
      aggregateType: z.string().describe(
        "The stream's aggregate type (category, product, order, ...).",
      ),
      entries: z.array(
        message(
          "HistoryEntry",
          z.object({
            event: StoredEvent,
            state: z.string().describe(
              'The aggregate\'s state after this event, as JSON text ("null" before creation).',
            ),
          }),
        ),
      ).describe("Every event of the stream, oldest first, at most 1000."),
      version: z.number().int().describe(
        "The version the state below is as of (0: before the first event).",
      ),
      state: z.string().describe(
        "The state as of the requested version or moment, as JSON text.",
      ),
      truncated: z.boolean().describe("True when the stream has more events than entries holds."),
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

/** `command.proto`, generated from the contracts above (`deno task proto` writes it out). */
export const commandProto = declareProtoFile({
  path: PROTO,
  package: "cqrs.command.v1",
  doc: "The write side. Every RPC validates its input, runs an aggregate and appends the " +
    "resulting events. Metadata x-command-id, x-correlation-id and traceparent travel with " +
    "each call into the events' metadata, with the user, roles and tenant of the caller's " +
    "verified bearer token (`authorization` metadata; x-user-id is ignored) and a hash of the " +
    "RPC and its input. A repeated x-command-id with the same RPC and input returns the first " +
    "result (its state included) and changes nothing; with another RPC or input it is refused " +
    "with FAILED_PRECONDITION (x-error-code IDEMPOTENCY_KEY_REUSED) and changes nothing.",
  services: commandContracts,
  serviceDocs: {
    SagaStepCommands: "The order saga's steps, for the saga worker only (its service token; " +
      "no user may call them, whatever their role). Each needs x-command-id: the step's " +
      "deterministic id, so a step sent again after a restart or a lost answer takes effect " +
      "once. x-correlation-id and x-causation-id name the order and the saga event that decided " +
      "the step. A concurrent write to the same stream is retried on the new state rather than " +
      "refused. A refusal (INVALID_ARGUMENT, FAILED_PRECONDITION) is final; the payment, " +
      "shipment and inventory streams derive from the order id.",
    EventLog: "The audit trail: stored events with their metadata, as the event store holds " +
      "them (after upcasting). Served by the command service, which owns the event store; the " +
      "gateway allows it to admins only.",
  },
});
