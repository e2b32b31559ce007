import type { GraphQLResolveInfo } from "graphql";
import type { categoryQueries, productQueries } from "@proto/query/v1/contract.ts";
import type { Category, Context, Product } from "../context.ts";
import { type ContractInput, defined, found } from "./_command.ts";
import { selectsOnly } from "./_selection.ts";

type Args = Record<string, unknown>;
type CategoryQuery = typeof categoryQueries.methods;
type ProductQuery = typeof productQueries.methods;

/** What a product knows of its category. */
const CATEGORY_ON_PRODUCT = new Set(["id", "name", "__typename"]);

/** Query and field resolvers of categories and products (mutations: mutations.ts). */
export const catalogResolvers = {
  Query: {
    category: async (_: unknown, { id }: { id: string }, ctx: Context) =>
      (await ctx.clients.categoryQueries.getCategory({ id }, ctx.state.read)).category ?? null,
    categoryByName: async (_: unknown, { name }: { name: string }, ctx: Context) =>
      (await ctx.clients.categoryQueries.getCategoryByName({ name }, ctx.state.read)).category ??
        null,
    categories: async (
      _: unknown,
      args: Pick<ContractInput<CategoryQuery["listCategories"]>, "parentId">,
      ctx: Context,
    ) => {
      const all: Category[] = [];
      for (let page = 1;; page++) {
        const res = await ctx.clients.categoryQueries.listCategories(
          defined({ parentId: args.parentId, page, perPage: 100 }),
          ctx.state.read,
        );
        all.push(...res.categories);
        if (!res.pageInfo.hasNext) return all;
      }
    },
    searchCategories: async (
      _: unknown,
      args: ContractInput<CategoryQuery["searchCategories"]>,
      ctx: Context,
    ) =>
      (await ctx.clients.categoryQueries.searchCategories(defined(args), ctx.state.read))
        .categories,
    categoriesPaginated: async (
      _: unknown,
      args: ContractInput<CategoryQuery["listCategoriesPaginated"]>,
      ctx: Context,
    ) => await ctx.clients.categoryQueries.listCategoriesPaginated(defined(args), ctx.state.read),
    categoryTree: async (_: unknown, __: Args, ctx: Context) =>
      (await ctx.clients.categoryQueries.getCategoryTree({}, ctx.state.read)).roots,
    categoryStatistics: async (_: unknown, __: Args, ctx: Context) =>
      await ctx.clients.categoryQueries.getCategoryStatistics({}, ctx.state.read),
    categoryExists: async (_: unknown, { id }: { id: string }, ctx: Context) =>
      (await ctx.clients.categoryQueries.categoryExists({ id }, ctx.state.read)).exists,

    product: async (_: unknown, { id }: { id: string }, ctx: Context) =>
      (await ctx.clients.productQueries.getProduct({ id }, ctx.state.read)).product ?? null,
    productByName: async (_: unknown, { name }: { name: string }, ctx: Context) =>
      (await ctx.clients.productQueries.getProductByName({ name }, ctx.state.read)).product ?? null,
    products: async (_: unknown, args: ContractInput<ProductQuery["listProducts"]>, ctx: Context) =>
      (await ctx.clients.productQueries.listProducts(defined(args), ctx.state.read)).products,
    searchProducts: async (
      _: unknown,
      args: ContractInput<ProductQuery["searchProducts"]>,
      ctx: Context,
    ) => (await ctx.clients.productQueries.searchProducts(defined(args), ctx.state.read)).products,
    searchProductsAdvanced: async (
      _: unknown,
      { input }: { input: ContractInput<ProductQuery["searchProductsAdvanced"]> },
      ctx: Context,
    ) => await ctx.clients.productQueries.searchProductsAdvanced(defined(input), ctx.state.read),
    productsPaginated: async (
      _: unknown,
      args: ContractInput<ProductQuery["listProductsPaginated"]>,
      ctx: Context,
    ) => await ctx.clients.productQueries.listProductsPaginated(defined(args), ctx.state.read),
    productsByCategory: async (
      _: unknown,
      args: ContractInput<ProductQuery["getProductsByCategory"]>,
      ctx: Context,
    ) =>
      (await ctx.clients.productQueries.getProductsByCategory(defined(args), ctx.state.read))
        .products,
    productsByPriceRange: async (
      _: unknown,
      args: ContractInput<ProductQuery["getProductsByPriceRange"]>,
      ctx: Context,
    ) =>
      (await ctx.clients.productQueries.getProductsByPriceRange(defined(args), ctx.state.read))
        .products,
    productStatistics: async (_: unknown, __: Args, ctx: Context) =>
      await ctx.clients.productQueries.getProductStatistics({}, ctx.state.read),
    productExists: async (_: unknown, { id }: { id: string }, ctx: Context) =>
      (await ctx.clients.productQueries.productExists({ id }, ctx.state.read)).exists,
  },

  Category: {
    // A category a mutation returned may lack what its command does not know: read
    // those from the read model, at the mutation's position.
    createdAt: async (c: Partial<Category> & { id: string }, _: Args, ctx: Context) =>
      c.createdAt ?? found(await ctx.loaders.category.load(c.id), "Category", c.id).createdAt,
    productCount: async (c: Partial<Category> & { id: string }, _: Args, ctx: Context) =>
      c.productCount ??
        found(await ctx.loaders.category.load(c.id), "Category", c.id).productCount,
    parent: (c: Category, _: Args, ctx: Context) =>
      c.parentId ? ctx.loaders.category.load(c.parentId) : null,
    children: async (c: Category, _: Args, ctx: Context) =>
      c.childCount === 0 ? [] : (await ctx.clients.categoryQueries.listCategories(
        { parentId: c.id, perPage: 100 },
        ctx.state.read,
      )).categories,
    products: (c: Category, _: Args, ctx: Context) =>
      c.productCount === 0 ? [] : ctx.loaders.productsByCategory.load(c.id),
  },

  Product: {
    // The products read model keeps its category's name on each product (written by the same
    // projection, so a consistency token covers it): a selection of no more than that is
    // answered from the product, without a second call to the query service.
    category: (p: Product, _: Args, ctx: Context, info: GraphQLResolveInfo) =>
      p.categoryName !== undefined && selectsOnly(info, CATEGORY_ON_PRODUCT)
        ? { id: p.categoryId, name: p.categoryName }
        : ctx.loaders.category.load(p.categoryId),
    // A product a mutation returned may lack what its command does not know: read
    // those from the read model, at the mutation's position.
    stock: async (p: Partial<Product> & { id: string }, _: Args, ctx: Context) =>
      p.stock ?? found(await ctx.loaders.product.load(p.id), "Product", p.id).stock,
    createdAt: async (p: Partial<Product> & { id: string }, _: Args, ctx: Context) =>
      p.createdAt ?? found(await ctx.loaders.product.load(p.id), "Product", p.id).createdAt,
    updatedAt: async (p: Partial<Product> & { id: string }, _: Args, ctx: Context) =>
      p.updatedAt ?? found(await ctx.loaders.product.load(p.id), "Product", p.id).updatedAt,
  },
};
