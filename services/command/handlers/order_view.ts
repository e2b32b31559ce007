import { OrderView } from "@proto/query/v1/contract.ts";
import type * as order from "@shared/domain/order/mod.ts";
import { pickView } from "@shared/application/views.ts";
import { formatCents } from "@shared/domain/shared/money.ts";

/**
 * An order in the shape of the query view: the state's fields that
 * OrderView names, money as decimal strings. What an order mutation answers
 * with, so it needs nothing from the read side.
 */
export function orderView(state: order.OrderState | null): Record<string, unknown> | undefined {
  if (state === null) return undefined;
  return pickView(OrderView, {
    ...state,
    items: state.items.map((line) => ({
      ...line,
      unitPrice: formatCents(line.unitPrice),
      lineTotal: formatCents(line.lineTotal),
    })),
    subtotal: formatCents(state.subtotal),
    tax: formatCents(state.tax),
    shipping: formatCents(state.shipping),
    total: formatCents(state.total),
  });
}
