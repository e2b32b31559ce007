import type { Projection } from "@shared/projection/types.ts";
import { categoriesProjection } from "./categories/projection.ts";
import { ordersProjection } from "./orders/projection.ts";
import { productsProjection } from "./products/projection.ts";
import { statisticsProjection } from "./statistics/projection.ts";

export { CATEGORIES, categoriesProjection } from "./categories/projection.ts";
export { PRODUCTS, productsProjection } from "./products/projection.ts";
export { ORDERS, ordersProjection } from "./orders/projection.ts";
export { STATISTICS, statisticsProjection } from "./statistics/projection.ts";

/**
 * Every projection of the read model. Each owns its tables and its
 * checkpoint, so any one can be rebuilt alone. Data that one answer reads
 * together (an order and its saga) belongs to one projection, so that the
 * answer is as of one position.
 */
export const readModelProjections: readonly Projection[] = [
  categoriesProjection,
  productsProjection,
  ordersProjection,
  statisticsProjection,
];
