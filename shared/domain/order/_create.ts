import { AlreadyExistsError, NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { checkAddress } from "../shared/address.ts";
import {
  compareDecimal,
  type Decimal,
  formatCents,
  formatDecimal,
  toDecimal,
} from "../shared/money.ts";
import { invalid, quote } from "../shared/rules.ts";
import { orderTotals } from "./totals.ts";
import {
  type CreateOrder,
  MAX_LINE_QUANTITY,
  MAX_ORDER_ITEMS,
  type OrderEvent,
  type OrderLineData,
  type OrderState,
} from "./types.ts";

const ZERO: Decimal = { units: 0n, scale: 0 };
const ONE: Decimal = { units: 1n, scale: 0 };

function checkDiscount(value: string | number | undefined, field: string): Decimal {
  if (value === undefined) return ZERO;
  const rate = toDecimal(value);
  if (!rate || compareDecimal(rate, ZERO) < 0 || compareDecimal(rate, ONE) > 0) {
    throw invalid(field, `must be a decimal between 0 and 1, got ${quote(value)}`);
  }
  return rate;
}

/** Decides a CreateOrder: names and prices come from the products loaded with it. */
export function decideCreate(command: CreateOrder, state: OrderState | null): OrderEvent[] {
  if (state) {
    throw new AlreadyExistsError(`Cannot create order ${quote(command.id)}: it already exists`, {
      field: "id",
    });
  }
  const { items } = command;
  if (items.length === 0) throw invalid("items", "must have at least one item");
  if (items.length > MAX_ORDER_ITEMS) {
    throw invalid("items", `must have at most ${MAX_ORDER_ITEMS} items, got ${items.length}`);
  }
  const seen = new Set<string>();
  const lines = items.map((item, i) => {
    const field = `items[${i}]`;
    if (
      !Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY
    ) {
      throw invalid(
        `${field}.quantity`,
        `must be a whole number from 1 to ${MAX_LINE_QUANTITY}, got ${quote(item.quantity)}`,
      );
    }
    const discountRate = checkDiscount(item.discountRate, `${field}.discountRate`);
    if (seen.has(item.productId)) {
      throw invalid(
        `${field}.productId`,
        `must not repeat product ${quote(item.productId)}: order it on one line`,
      );
    }
    seen.add(item.productId);
    const product = command.products.find((p) => p.id === item.productId);
    if (!product) {
      throw new NotFoundError(
        `Cannot order product ${quote(item.productId)}: it does not exist`,
        { field: `${field}.productId` },
      );
    }
    if (product.deleted) {
      throw new PreconditionError(`Cannot order product ${quote(product.name)}: it is deleted`, {
        field: `${field}.productId`,
      });
    }
    if (product.archived) {
      throw new PreconditionError(
        `Cannot order product ${quote(product.name)}: it is archived`,
        { field: `${field}.productId` },
      );
    }
    return { product, quantity: item.quantity, unitPrice: product.price, discountRate };
  });
  const shippingAddress = checkAddress(command.shippingAddress, "shippingAddress");
  const totals = orderTotals(lines);
  const data: OrderLineData[] = lines.map((line, i) => ({
    productId: line.product.id,
    productName: line.product.name,
    quantity: line.quantity,
    unitPrice: formatCents(line.unitPrice),
    discountRate: formatDecimal(line.discountRate),
    lineTotal: formatCents(totals.lineTotals[i]!),
  }));
  return [{
    type: "OrderCreated",
    data: {
      id: command.id,
      customerId: command.customerId,
      status: "pending",
      items: data,
      subtotal: formatCents(totals.subtotal),
      tax: formatCents(totals.tax),
      shipping: formatCents(totals.shipping),
      total: formatCents(totals.total),
      shippingAddress,
      createdAt: command.at,
    },
  }];
}
