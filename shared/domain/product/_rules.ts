import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import type { CategoryState } from "../category/types.ts";
import { type Cents, MAX_PRICE_CENTS, MIN_PRICE_CENTS, parseCents } from "../shared/money.ts";
import { invalid, quote } from "../shared/rules.ts";
import { PRICE_CHANGE_THRESHOLD_PERCENT, PRICE_RULE, type ProductState } from "./types.ts";

/** A price text in cents, or a ValidationError naming the field. */
export function checkPrice(text: string, field = "price"): Cents {
  const cents = parseCents(text.trim());
  if (cents === null || cents < MIN_PRICE_CENTS || cents > MAX_PRICE_CENTS) {
    throw invalid(field, `${PRICE_RULE}, got ${quote(text)}`);
  }
  return cents;
}

/** Refuses a category that does not exist or is deleted. */
export function checkCategory(
  action: string,
  categoryId: string,
  category: CategoryState | undefined,
): void {
  if (category?.id !== categoryId) {
    throw new NotFoundError(`Cannot ${action}: category ${quote(categoryId)} does not exist`, {
      field: "categoryId",
    });
  }
  if (category.deleted) {
    throw new PreconditionError(`Cannot ${action}: category ${quote(category.name)} is deleted`, {
      field: "categoryId",
    });
  }
}

/** The state of an existing, live product, or the error that refuses the command. */
export function live(state: ProductState | null, id: string, verb: string): ProductState {
  if (!state) {
    throw new NotFoundError(`Cannot ${verb} product ${quote(id)}: it does not exist`, {
      field: "id",
    });
  }
  if (state.deleted) {
    throw new PreconditionError(`Cannot ${verb} product ${quote(state.name)}: it is deleted`, {
      field: "id",
    });
  }
  return state;
}

/** Whether a price move is large enough for ProductPriceChanged: at least 10% of the old price. */
export function isSignificantPriceChange(oldPrice: Cents, newPrice: Cents): boolean {
  return Math.abs(newPrice - oldPrice) * 100 >= oldPrice * PRICE_CHANGE_THRESHOLD_PERCENT;
}
