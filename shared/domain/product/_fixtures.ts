/** Builders of the product specs. */
import type { CategoryState } from "../category/types.ts";
import { AT, id } from "../shared/testing.ts";
import type { ProductCreated } from "./types.ts";

/** A live root category. */
export function liveCategory(n = 50, name = "Shoes", deleted = false): CategoryState {
  const categoryId = id(n);
  return {
    id: categoryId,
    name,
    description: null,
    parentId: null,
    path: [{ id: categoryId, name }],
    depth: 1,
    deleted,
    version: 1,
  };
}

/** A ProductCreated event (v2) with the given price. */
export function productCreated(price = "100.00", n = 1): ProductCreated {
  return {
    type: "ProductCreated",
    data: {
      id: id(n),
      name: "Runner",
      description: null,
      price,
      categoryId: id(50),
      createdAt: AT,
    },
  };
}
