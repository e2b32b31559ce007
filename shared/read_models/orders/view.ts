import type { OrderItemView, OrderView, SagaStateView } from "@proto/query/v1/contract.ts";
import { moneyText } from "../common/money.ts";
import { type SagaRow, toSagaView } from "../sagas/queries.ts";

/** The columns an {@link OrderRow} holds: `orders o` joined with its saga's `saga_states s`. */
export const ORDER_COLUMNS = `o.*, s.saga_id, s.order_id AS saga_order_id, s.status AS saga_status,
  s.completed_steps AS saga_completed_steps, s.current_step AS saga_current_step,
  s.failure_reason AS saga_failure_reason, s.started_at AS saga_started_at,
  s.completed_at AS saga_completed_at`;

/** An `orders` row with its saga's columns (null without a saga; bigint columns arrive as strings). */
export interface OrderRow {
  id: string;
  customer_id: string;
  status: string;
  items: OrderItemView[];
  subtotal_cents: string;
  tax_cents: string;
  shipping_cents: string;
  total_cents: string;
  shipping_address: { street: string; city: string; postalCode: string };
  cancel_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  saga_id: string | null;
  saga_order_id: string | null;
  saga_status: string | null;
  saga_completed_steps: string[] | null;
  saga_current_step: string | null;
  saga_failure_reason: string | null;
  saga_started_at: Date | null;
  saga_completed_at: Date | null;
}

function sagaOf(r: OrderRow): SagaStateView | undefined {
  if (r.saga_id === null) return undefined;
  const row: SagaRow = {
    saga_id: r.saga_id,
    order_id: r.saga_order_id!,
    status: r.saga_status!,
    completed_steps: r.saga_completed_steps!,
    current_step: r.saga_current_step,
    failure_reason: r.saga_failure_reason,
    started_at: r.saga_started_at!,
    completed_at: r.saga_completed_at,
  };
  return toSagaView(row);
}

/** Maps a row to its view: money as "19.99", absent optional fields unset, times ISO 8601. */
export function toOrderView(r: OrderRow): OrderView {
  return {
    id: r.id,
    customerId: r.customer_id,
    status: r.status,
    items: r.items.map((i) => ({
      productId: i.productId,
      productName: i.productName,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      discountRate: i.discountRate,
      lineTotal: i.lineTotal,
    })),
    subtotal: moneyText(r.subtotal_cents),
    tax: moneyText(r.tax_cents),
    shipping: moneyText(r.shipping_cents),
    total: moneyText(r.total_cents),
    shippingAddress: {
      street: r.shipping_address.street,
      city: r.shipping_address.city,
      postalCode: r.shipping_address.postalCode,
    },
    cancelReason: r.cancel_reason ?? undefined,
    saga: sagaOf(r),
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
