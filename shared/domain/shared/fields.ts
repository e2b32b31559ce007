/**
 * Reusable zod schemas of input fields, for the edges (gRPC contracts,
 * GraphQL). The limits come from the domain, so both sides agree; the
 * deciders check the same rules again on the typed commands.
 */
import { z } from "zod";
import { MAX_CATEGORY_NAME } from "../category/types.ts";
import { MAX_STOCK } from "../inventory/types.ts";
import { ORDER_STATUSES } from "../order/status.ts";
import { MAX_LINE_QUANTITY, MAX_ORDER_ITEMS } from "../order/types.ts";
import { MAX_PRODUCT_NAME, PRICE_RULE } from "../product/types.ts";
import { SAGA_STATUSES } from "../order_saga/types.ts";
import { ADDRESS_LIMITS } from "./address.ts";
import {
  compareDecimal,
  formatDecimal,
  MAX_PRICE_CENTS,
  MIN_PRICE_CENTS,
  parseCents,
  toDecimal,
} from "./money.ts";
import { parsePosition, POSITION_RULE } from "@shared/event_store/position.ts";
import { MAX_DESCRIPTION, MAX_REASON } from "./rules.ts";
import { textLength, type TextOptions, textProblem } from "./text.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in canonical text form, lower-cased. */
export const uuid = z.string().regex(UUID, "must be a UUID").transform((s) => s.toLowerCase());

/**
 * An optional field as it arrives over the wire: proto3 and GraphQL send an
 * absent value as undefined, null or an empty string; all three mean "not given".
 */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" || v === null ? undefined : v), schema.optional());
}

/**
 * A trimmed text of at most `max` characters, counted in code points as the
 * deciders count them, holding nothing the store would change (a lone
 * surrogate, a NUL, a control character; see `textProblem`).
 */
export function text(max: number, options: TextOptions = {}, missing = "must be a string") {
  return z.string({ error: missing }).trim().superRefine((value, ctx) => {
    const problem = textProblem(value, options);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
    else if (textLength(value) > max) {
      ctx.addIssue({ code: "custom", message: `must be at most ${max} characters` });
    }
  });
}

/** A trimmed, one-line name of 1 to `max` characters. */
export function name(max: number) {
  return text(max, {}, "is required").min(1, "must not be empty");
}

/** A free-text description of at most 2000 characters. */
export const description = text(MAX_DESCRIPTION, { multiline: true });

/** A category name: trimmed, 1 to 100 characters. */
export const categoryName = name(MAX_CATEGORY_NAME);

/** A product name: trimmed, 1 to 200 characters. */
export const productName = name(MAX_PRODUCT_NAME);

/** A product price as a decimal string, "0.01" to "999999.99", at most 2 places; kept as text. */
export const price = z.string({ error: PRICE_RULE }).trim().refine((text) => {
  const cents = parseCents(text);
  return cents !== null && cents >= MIN_PRICE_CENTS && cents <= MAX_PRICE_CENTS;
}, PRICE_RULE);

/** A non-negative amount as a decimal string with at most 2 places (e.g. a price-range bound). */
export const money = z.string({ error: "must be a decimal with at most 2 places" }).trim().refine(
  (text) => parseCents(text) !== null,
  "must be a non-negative decimal with at most 2 places",
);

/** A quantity on an order line: a whole number from 1 to 10000. */
export const quantity = z.number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`);

/** A stock level: a whole number from 0 to 1000000000. */
export const stockQuantity = z.number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(0, "must not be negative")
  .max(MAX_STOCK, `must be at most ${MAX_STOCK}`);

const DISCOUNT_RULE = "must be a decimal between 0 and 1";
const ZERO = { units: 0n, scale: 0 };
const ONE = { units: 1n, scale: 0 };

/**
 * A discount rate from 0 to 1, given as a number or a decimal string; turned
 * into an exact decimal string ("0.1") so no float reaches the totals.
 */
export const discountRate = z.union([z.number(), z.string()], { error: DISCOUNT_RULE })
  .transform((value, ctx) => {
    const rate = toDecimal(value);
    if (!rate || compareDecimal(rate, ZERO) < 0 || compareDecimal(rate, ONE) > 0) {
      ctx.addIssue({ code: "custom", message: DISCOUNT_RULE });
      return z.NEVER;
    }
    return formatDecimal(rate);
  });

/** A shipping address: street, city and postal code, each trimmed and not empty. */
export const address = z.object({
  street: name(ADDRESS_LIMITS.street),
  city: name(ADDRESS_LIMITS.city),
  postalCode: name(ADDRESS_LIMITS.postalCode),
});

/** One line of a new order; names and prices come from the products, not the caller. */
export const orderItem = z.object({
  productId: uuid,
  quantity,
  discountRate: optional(discountRate).describe(
    'Decimal string between 0 and 1, e.g. "0.15"; none when unset.',
  ),
});

/** The items of a new order: 1 to 100 lines. */
export const orderItems = z.array(orderItem)
  .min(1, "must have at least one item")
  .max(MAX_ORDER_ITEMS, `must have at most ${MAX_ORDER_ITEMS} items`);

/** An order status. */
export const orderStatus = z.enum(ORDER_STATUSES, {
  error: `must be one of ${ORDER_STATUSES.join(", ")}`,
});

/** A saga status. */
export const sagaStatus = z.enum(SAGA_STATUSES, {
  error: `must be one of ${SAGA_STATUSES.join(", ")}`,
});

/** A free-text reason (cancellation, deletion, price change) of at most 500 characters. */
export const reason = text(MAX_REASON, { multiline: true });

/** A page number, from 1. */
export const page = z.number().int("must be a whole number").min(1, "must be at least 1");

/** A page size, from 1 to 100. */
export const perPage = z.number().int("must be a whole number")
  .min(1, "must be at least 1")
  .max(100, "must be at most 100");

/** A position in the global order, `<transactionId>:<id>`, each a 64-bit whole number. */
export const position = z.string({ error: POSITION_RULE }).refine(
  (value) => parsePosition(value) !== null,
  POSITION_RULE,
);
