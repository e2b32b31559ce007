import type { OrderEvent } from "@shared/domain/order/types.ts";
import type { Projection } from "@shared/projection/types.ts";
import { applyBatch, type EventHandlers } from "../common/batch.ts";
import { centsOf } from "../common/money.ts";
import { records } from "../common/sql.ts";
import { applySagaEvents, SAGA_EVENTS } from "../sagas/projection.ts";

/** The checkpoint name of the orders projection. */
export const ORDERS = "orders";

const byOrder = (event: { data: { id: string } }) => String(event.data.id);

const handlers: EventHandlers<OrderEvent> = {
  OrderCreated: {
    key: byOrder,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return {
          id: d.id,
          customer_id: d.customerId,
          status: d.status,
          items: d.items,
          subtotal_cents: centsOf(d.subtotal, "OrderCreated.subtotal"),
          tax_cents: centsOf(d.tax, "OrderCreated.tax"),
          shipping_cents: centsOf(d.shipping, "OrderCreated.shipping"),
          total_cents: centsOf(d.total, "OrderCreated.total"),
          shipping_address: d.shippingAddress,
          version: e.version,
          created_at: d.createdAt,
        };
      });
      return tx`
        INSERT INTO orders (id, customer_id, status, items, subtotal_cents, tax_cents,
          shipping_cents, total_cents, shipping_address, version, created_at, updated_at)
        SELECT id, customer_id, status, items, subtotal_cents, tax_cents, shipping_cents,
          total_cents, shipping_address, version, created_at, created_at
        FROM jsonb_to_recordset(${records(tx, rows)}) AS x(id uuid, customer_id uuid,
          status text, items jsonb, subtotal_cents bigint, tax_cents bigint,
          shipping_cents bigint, total_cents bigint, shipping_address jsonb, version int,
          created_at timestamptz)
        ON CONFLICT (id) DO NOTHING`;
    },
  },
  OrderStatusChanged: {
    key: byOrder,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return { id: d.id, status: d.to, version: e.version, updated_at: d.changedAt };
      });
      return tx`
        UPDATE orders o SET status = x.status, version = x.version, updated_at = x.updated_at
        FROM jsonb_to_recordset(${records(tx, rows)})
          AS x(id uuid, status text, version int, updated_at timestamptz)
        WHERE o.id = x.id AND o.version < x.version`;
    },
  },
  OrderCancelled: {
    key: byOrder,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return { id: d.id, reason: d.reason, version: e.version, updated_at: d.cancelledAt };
      });
      return tx`
        UPDATE orders o SET status = 'cancelled', cancel_reason = x.reason,
          version = x.version, updated_at = x.updated_at
        FROM jsonb_to_recordset(${records(tx, rows)})
          AS x(id uuid, reason text, version int, updated_at timestamptz)
        WHERE o.id = x.id AND o.version < x.version`;
    },
  },
};

/**
 * The orders read model: one row per order with its items, totals in cents
 * and status, and where each order's saga stands (`saga_states`). Both
 * tables move under one checkpoint, in one transaction per batch, so any
 * read of an order beside its saga is as of one position of the event
 * store: a completed saga is never seen beside an order that is not yet
 * confirmed.
 */
export const ordersProjection: Projection = {
  name: ORDERS,
  tables: ["orders", "saga_states"],
  eventTypes: [...Object.keys(handlers), ...SAGA_EVENTS],
  async apply(tx, events) {
    await applyBatch(tx, events, handlers);
    await applySagaEvents(tx, events);
  },
};
