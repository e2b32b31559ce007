import { productQueries, type ProductView } from "@proto/query/v1/contract.ts";
import type { Sql } from "@shared/db/connect.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { CATEGORIES } from "@shared/read_models/categories/projection.ts";
import { getCategory } from "@shared/read_models/categories/queries.ts";
import type { Paged } from "@shared/read_models/common/paging.ts";
import { PRODUCTS } from "@shared/read_models/products/projection.ts";
import {
  getProduct,
  getProductByName,
  getProductsByCategoryIds,
  getProductsByIds,
  productExists,
} from "@shared/read_models/products/queries.ts";
import { searchProducts } from "@shared/read_models/products/search.ts";
import { STATISTICS } from "@shared/read_models/statistics/projection.ts";
import {
  getCategoryProductStatistics,
  getProductStatistics,
} from "@shared/read_models/statistics/queries.ts";
import type { ConsistencyGuard } from "./consistency.ts";

function page({ items, pageInfo }: Paged<ProductView>) {
  return { products: items, pageInfo };
}

/** Binds `cqrs.query.v1.ProductQueries` to the read model. */
export function productHandlers(sql: Sql, consistent: ConsistencyGuard): ServiceBinding {
  const read = [PRODUCTS];
  return bind(productQueries, {
    async getProduct({ id }, ctx) {
      await consistent(ctx, read);
      return { product: await getProduct(sql, id) };
    },
    async getProductWithCategory({ id }, ctx) {
      await consistent(ctx, [PRODUCTS, CATEGORIES]);
      const product = await getProduct(sql, id);
      return {
        product,
        category: product ? await getCategory(sql, product.categoryId) : undefined,
      };
    },
    async getProductByName({ name }, ctx) {
      await consistent(ctx, read);
      return { product: await getProductByName(sql, name) };
    },
    async listProducts(input, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, input));
    },
    async listProductsWithCategories(input, ctx) {
      // The category name is denormalized on every product row.
      await consistent(ctx, read);
      return page(await searchProducts(sql, input));
    },
    async getProductsByCategory(input, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, input));
    },
    async searchProducts({ searchTerm, ...paging }, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, { text: searchTerm, ...paging }));
    },
    async getProductsByPriceRange(input, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, { ...input, sort: "price_asc" }));
    },
    async listProductsSortedByPrice({ direction, ...paging }, ctx) {
      await consistent(ctx, read);
      const sort = direction === "desc" ? "price_desc" : "price_asc";
      return page(await searchProducts(sql, { ...paging, sort }));
    },
    async listProductsPaginated(input, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, input));
    },
    async getProductsByIds({ ids }, ctx) {
      await consistent(ctx, read);
      return { products: await getProductsByIds(sql, ids) };
    },
    async getProductsByCategoryIds({ ids }, ctx) {
      await consistent(ctx, read);
      return { products: await getProductsByCategoryIds(sql, ids) };
    },
    async searchProductsAdvanced(input, ctx) {
      await consistent(ctx, read);
      return page(await searchProducts(sql, input));
    },
    async getProductStatistics(_, ctx) {
      await consistent(ctx, [STATISTICS]);
      return await getProductStatistics(sql);
    },
    async getCategoryProductStatistics({ categoryId }, ctx) {
      await consistent(ctx, [STATISTICS]);
      return await getCategoryProductStatistics(sql, categoryId);
    },
    async productExists({ id }, ctx) {
      await consistent(ctx, read);
      return { exists: await productExists(sql, id) };
    },
  }) as ServiceBinding;
}
