import { categoryQueries } from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { CATEGORIES } from "@shared/read_models/categories/projection.ts";
import {
  categoryExists,
  getCategoriesByIds,
  getCategory,
  getCategoryByName,
  getCategoryPath,
  getCategoryTree,
  listCategories,
  searchCategories,
} from "@shared/read_models/categories/queries.ts";
import { PRODUCTS } from "@shared/read_models/products/projection.ts";
import { getProductsByCategoryIds } from "@shared/read_models/products/queries.ts";
import { STATISTICS } from "@shared/read_models/statistics/projection.ts";
import { getCategoryStatistics } from "@shared/read_models/statistics/queries.ts";
import type { ConsistencyGuard } from "./consistency.ts";

/** Binds `cqrs.query.v1.CategoryQueries` to the read model. */
export function categoryHandlers(sql: Sql, consistent: ConsistencyGuard): ServiceBinding {
  const read = [CATEGORIES];
  return bind(categoryQueries, {
    async getCategory({ id }, ctx) {
      await consistent(ctx, read);
      return { category: await getCategory(sql, id) };
    },
    async getCategoryByName({ name }, ctx) {
      await consistent(ctx, read);
      return { category: await getCategoryByName(sql, name) };
    },
    async listCategories(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await listCategories(sql, input);
      return { categories: items, pageInfo };
    },
    async searchCategories(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await searchCategories(sql, input);
      return { categories: items, pageInfo };
    },
    async listCategoriesPaginated(input, ctx) {
      await consistent(ctx, read);
      const { items, pageInfo } = await listCategories(sql, input);
      return { categories: items, pageInfo };
    },
    async getCategoryStatistics(_, ctx) {
      await consistent(ctx, [STATISTICS]);
      return await getCategoryStatistics(sql);
    },
    async categoryExists({ id }, ctx) {
      await consistent(ctx, read);
      return { exists: await categoryExists(sql, id) };
    },
    async getCategoriesByIds({ ids }, ctx) {
      await consistent(ctx, read);
      return { categories: await getCategoriesByIds(sql, ids) };
    },
    async getCategoryTree(_, ctx) {
      await consistent(ctx, read);
      return { roots: await getCategoryTree(sql) };
    },
    async getCategoryPath({ id }, ctx) {
      await consistent(ctx, read);
      return { path: await getCategoryPath(sql, id) };
    },
    async getCategoryWithProducts({ id }, ctx) {
      await consistent(ctx, [CATEGORIES, PRODUCTS]);
      const category = await getCategory(sql, id);
      return {
        category,
        products: category ? await getProductsByCategoryIds(sql, [id]) : [],
      };
    },
  }) as ServiceBinding;
}
