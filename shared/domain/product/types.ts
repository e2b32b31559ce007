import type { CategoryState } from "../category/types.ts";
import type { Cents } from "../shared/money.ts";

/** The longest product name, after trimming. */
export const MAX_PRODUCT_NAME = 200;

/** The rule every price follows, as the API states it. */
export const PRICE_RULE = "must be a decimal with at most 2 places between 0.01 and 999999.99";

/** A price change of at least this share of the old price (in percent) also emits ProductPriceChanged. */
export const PRICE_CHANGE_THRESHOLD_PERCENT = 10;

/**
 * Creates a product. `price` is a decimal string ("19.99").
 *
 * The handler loads `category`, the state of `categoryId` (absent when there is
 * no such category), and guards "the category is live" race-free with the
 * write-side category table.
 */
export type CreateProduct = {
  type: "CreateProduct";
  id: string;
  name: string;
  description?: string | undefined;
  price: string;
  categoryId: string;
  category?: CategoryState | undefined;
  at: string;
};

/**
 * Changes some fields of a product; an absent field is left as it is.
 *
 * The handler loads `category`, the state of `categoryId`, when it is given.
 */
export type UpdateProduct = {
  type: "UpdateProduct";
  id: string;
  name?: string | undefined;
  description?: string | null | undefined;
  price?: string | undefined;
  categoryId?: string | undefined;
  category?: CategoryState | undefined;
  /** Why the price changed; recorded on ProductPriceChanged. */
  changeReason?: string | undefined;
  at: string;
};

/** Deletes a product. */
export type DeleteProduct = {
  type: "DeleteProduct";
  id: string;
  reason?: string | undefined;
  at: string;
};

/**
 * Takes a product out of the catalogue without deleting it: it can no longer
 * be ordered and leaves the lists, but stays readable by id and can be restored.
 */
export type ArchiveProduct = { type: "ArchiveProduct"; id: string; at: string };

/** Puts an archived product back into the catalogue. */
export type RestoreProduct = { type: "RestoreProduct"; id: string; at: string };

/** Product commands. */
export type ProductCommand =
  | CreateProduct
  | UpdateProduct
  | DeleteProduct
  | ArchiveProduct
  | RestoreProduct;

/** The fields an update can change, with money as decimal strings. */
export type ProductChanges = {
  name?: string;
  description?: string | null;
  price?: string;
  categoryId?: string;
};

/** A product was created (schema v2: `price` is a decimal string; v1 stored a JSON number). */
export type ProductCreated = {
  type: "ProductCreated";
  data: {
    id: string;
    name: string;
    description: string | null;
    price: string;
    categoryId: string;
    createdAt: string;
  };
};

/** Some fields of a product changed: `changes` holds the new values, `previous` the old ones. */
export type ProductUpdated = {
  type: "ProductUpdated";
  data: {
    id: string;
    changes: ProductChanges;
    previous: ProductChanges;
    updatedAt: string;
  };
};

/** A product's price moved by 10% or more of the old price. */
export type ProductPriceChanged = {
  type: "ProductPriceChanged";
  data: {
    id: string;
    oldPrice: string;
    newPrice: string;
    changeReason: string | null;
    changedAt: string;
  };
};

/** A product was deleted. */
export type ProductDeleted = {
  type: "ProductDeleted";
  data: {
    id: string;
    reason: string | null;
    deletedAt: string;
  };
};

/** A product left the catalogue; it stays readable by id. */
export type ProductArchived = {
  type: "ProductArchived";
  data: { id: string; archivedAt: string };
};

/** An archived product came back into the catalogue. */
export type ProductRestored = {
  type: "ProductRestored";
  data: { id: string; restoredAt: string };
};

/** Product events. */
export type ProductEvent =
  | ProductCreated
  | ProductUpdated
  | ProductPriceChanged
  | ProductDeleted
  | ProductArchived
  | ProductRestored;

/** The state of one product, folded from its events. Money in cents. */
export interface ProductState {
  id: string;
  name: string;
  description: string | null;
  price: Cents;
  categoryId: string;
  deleted: boolean;
  /** Out of the catalogue: not orderable, not listed, readable by id. */
  archived: boolean;
  /** Number of events applied. */
  version: number;
}

/** The state before any event. */
export const initialState: ProductState | null = null;
