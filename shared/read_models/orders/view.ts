import { moneyText } from "../common/money.ts";

/** One line of an order, money as decimal strings. */
export interface OrderItemView {
  productId: string;
  productName: string;
  quantity: number;
  unitPrice: string;
  discountRate: string;
  lineTotal: string;
}

/** An order as the query service returns it (the contract's OrderView). */
export interface OrderView {
  id: string;
  customerId: string;
  status: string;
  items: OrderItemView[];
  subtotal: string;
  tax: string;
  shipping: string;
  total: string;
  shippingAddress: { street: string; city: string; postalCode: string };
  cancelReason?: string | undefined;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An `orders` row (bigint columns arrive as strings). */
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
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
