import type { Upcasters } from "@shared/event_store/upcast.ts";
import { decimalToCents, formatCents, toDecimal } from "../shared/money.ts";

/**
 * Version 1 of the product events stored prices as JSON numbers (19.99);
 * version 2 stores decimal strings ("19.99"), so no float reaches the domain.
 * A v1 number is read as the decimal it was written as and rounded half-up
 * to cents: 19.9 → "19.90", 0.1 + 0.2 → "0.30", 1.005 → "1.01".
 */
export function priceFromV1(value: unknown, field: string): string {
  const decimal = typeof value === "number" || typeof value === "string" ? toDecimal(value) : null;
  if (!decimal) {
    throw new TypeError(`Cannot upcast ${field} ${JSON.stringify(value)}: it is not a number`);
  }
  return formatCents(decimalToCents(decimal));
}

function pricesFromV1(
  data: Record<string, unknown> | undefined,
  fields: string[],
  where: string,
): Record<string, unknown> | undefined {
  if (!data) return data;
  const lifted = { ...data };
  for (const field of fields) {
    if (lifted[field] !== undefined && lifted[field] !== null) {
      lifted[field] = priceFromV1(lifted[field], `${where}.${field}`);
    }
  }
  return lifted;
}

/** The upcaster chains of the product events (current schema version 2). */
export const productUpcasters: Upcasters = {
  ProductCreated: {
    current: 2,
    steps: { 1: (data) => pricesFromV1(data, ["price"], "ProductCreated")! },
  },
  ProductUpdated: {
    current: 2,
    steps: {
      1: (data) => {
        const changes = data.changes as Record<string, unknown> | undefined;
        const previous = data.previous as Record<string, unknown> | undefined;
        return {
          ...data,
          changes: pricesFromV1(changes, ["price"], "ProductUpdated.changes") ?? {},
          // v1 did not record the previous values.
          previous: pricesFromV1(previous, ["price"], "ProductUpdated.previous") ?? {},
        };
      },
    },
  },
  ProductPriceChanged: {
    current: 2,
    steps: {
      1: (data) => pricesFromV1(data, ["oldPrice", "newPrice"], "ProductPriceChanged")!,
    },
  },
};
