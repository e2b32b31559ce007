import { z } from "zod";

/**
 * The public, versioned contract of the events other bounded contexts
 * receive. It is declared apart from the internal domain events
 * (shared/domain/<aggregate>/types.ts) so that those can change: a change
 * here is a new `version`, published beside the old one, never an edit.
 */
export const INTEGRATION_VERSION = 1;

const id = z.string().uuid();
const money = z.string().regex(/^-?\d+(\.\d{1,2})?$/, 'must be a decimal amount such as "10.00"');
const text = z.string().nullable();

/** The `data` of each integration event type, version 1. */
export const INTEGRATION_DATA = {
  "category.created": z.object({
    id,
    name: z.string(),
    description: text,
    parentId: id.nullable(),
  }),
  "category.updated": z.object({ id, name: z.string(), description: text }),
  "category.moved": z.object({ id, parentId: id.nullable() }),
  "category.deleted": z.object({ id, reason: text }),
  "product.created": z.object({
    id,
    name: z.string(),
    description: text,
    price: money,
    categoryId: id,
  }),
  "product.updated": z.object({
    id,
    changes: z.object({
      name: z.string().optional(),
      description: text.optional(),
      categoryId: id.optional(),
    }),
  }),
  "product.price_changed": z.object({ id, oldPrice: money, newPrice: money, reason: text }),
  "product.deleted": z.object({ id, reason: text }),
  "inventory.stock_set": z.object({
    productId: id,
    quantity: z.number().int(),
    previousQuantity: z.number().int(),
  }),
  "order.created": z.object({
    id,
    customerId: id,
    items: z.array(z.object({
      productId: id,
      quantity: z.number().int().positive(),
      unitPrice: money,
      lineTotal: money,
    })),
    subtotal: money,
    tax: money,
    shipping: money,
    total: money,
  }),
  "order.confirmed": z.object({ id }),
  "order.status_changed": z.object({ id, from: z.string(), to: z.string(), reason: text }),
  "order.cancelled": z.object({ id, from: z.string(), reason: text }),
} as const;

/** Every integration event type: `<aggregate>.<event>`, the tail of its NATS subject. */
export type IntegrationEventType = keyof typeof INTEGRATION_DATA;

/** The aggregates integration events are about. */
export const INTEGRATION_AGGREGATES = ["category", "product", "inventory", "order"] as const;

const envelope = <T extends IntegrationEventType>(type: T) =>
  z.object({
    /** The internal event's id: the broker's de-duplication key (`Nats-Msg-Id`). */
    id,
    type: z.literal(type),
    version: z.literal(INTEGRATION_VERSION),
    aggregate: z.enum(INTEGRATION_AGGREGATES),
    aggregateId: id,
    /** When the event was recorded (ISO 8601, UTC). */
    occurredAt: z.string().datetime(),
    data: INTEGRATION_DATA[type],
  });

const types = Object.keys(INTEGRATION_DATA) as IntegrationEventType[];

/** One integration event, version 1, as published (JSON) on `<prefix>.<type>`. */
export const IntegrationEvent = z.discriminatedUnion(
  "type",
  types.map(envelope) as unknown as [
    ReturnType<typeof envelope<IntegrationEventType>>,
    ...ReturnType<typeof envelope<IntegrationEventType>>[],
  ],
);

/** One integration event, version 1. */
export type IntegrationEvent = {
  [T in IntegrationEventType]: {
    id: string;
    type: T;
    version: typeof INTEGRATION_VERSION;
    aggregate: typeof INTEGRATION_AGGREGATES[number];
    aggregateId: string;
    occurredAt: string;
    data: z.output<typeof INTEGRATION_DATA[T]>;
  };
}[IntegrationEventType];

/** The NATS subject of an event type: `<prefix>.<aggregate>.<event>`. */
export function subjectOf(prefix: string, type: IntegrationEventType): string {
  return `${prefix}.${type}`;
}
