import { z } from "zod";
import { defineService, rpc } from "@shared/grpc/contract.ts";
import {
  money,
  optional,
  orderStatus,
  page,
  perPage,
  text,
  uuid,
} from "@shared/domain/shared/fields.ts";

const PROTO = "query/v1/query.proto";

/** Page number and size of a list request (1-based; 20 per page unless given). */
const paging = { page: optional(page), perPage: optional(perPage) };

const PathSegment = z.object({ id: z.string(), name: z.string() });

/** A category as the read model holds it. */
export const CategoryView = z.object({
  id: z.string(),
  name: z.string(),
  description: optional(z.string()),
  parentId: optional(z.string()),
  path: z.array(PathSegment),
  depth: z.number().int(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  childCount: z.number().int(),
  productCount: z.number().int(),
});

/** A product as the read model holds it, with its category's name and its stock. */
export const ProductView = z.object({
  id: z.string(),
  name: z.string(),
  description: optional(z.string()),
  price: z.string(),
  categoryId: z.string(),
  categoryName: optional(z.string()),
  stock: z.number().int(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const Address = z.object({ street: z.string(), city: z.string(), postalCode: z.string() });

/** The state of an order's saga. */
export const SagaStateView = z.object({
  sagaId: z.string(),
  orderId: z.string(),
  status: z.string(),
  completedSteps: z.array(z.string()),
  currentStep: optional(z.string()),
  failureReason: optional(z.string()),
  startedAt: z.string(),
  completedAt: optional(z.string()),
});

/** An order as the read model holds it; money as decimal strings. */
export const OrderView = z.object({
  id: z.string(),
  customerId: z.string(),
  status: z.string(),
  items: z.array(z.object({
    productId: z.string(),
    productName: z.string(),
    quantity: z.number().int(),
    unitPrice: z.string(),
    discountRate: z.string(),
    lineTotal: z.string(),
  })),
  subtotal: z.string(),
  tax: z.string(),
  shipping: z.string(),
  total: z.string(),
  shippingAddress: Address,
  cancelReason: optional(z.string()),
  /** The order's saga as of the same position as the order; absent before it starts. */
  saga: optional(SagaStateView),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Where a page sits in its list. */
export const PageInfo = z.object({
  page: z.number().int(),
  perPage: z.number().int(),
  totalCount: z.number().int(),
  hasNext: z.boolean(),
});

const Empty = z.object({});
const IdRequest = z.object({ id: uuid });
const NameRequest = z.object({ name: text(1000).min(1, "must not be empty") });
const IdsRequest = z.object({
  ids: z.array(uuid).max(1000, "must have at most 1000 ids"),
});
const SearchRequest = z.object({
  searchTerm: text(200).min(1, "must not be empty"),
  ...paging,
});
const Exists = z.object({ exists: z.boolean() });

type CategoryNode = { category: z.output<typeof CategoryView>; children: CategoryNode[] };
const CategoryNode: z.ZodType<CategoryNode> = z.lazy(() =>
  z.object({ category: CategoryView, children: z.array(CategoryNode) })
);

const CategoryPage = z.object({ categories: z.array(CategoryView), pageInfo: PageInfo });
const ProductPage = z.object({ products: z.array(ProductView), pageInfo: PageInfo });
const OrderPage = z.object({ orders: z.array(OrderView), pageInfo: PageInfo });

/** `cqrs.query.v1.CategoryQueries`. */
export const categoryQueries = defineService("cqrs.query.v1.CategoryQueries", PROTO, {
  getCategory: rpc("read", IdRequest, z.object({ category: optional(CategoryView) })),
  getCategoryByName: rpc("read", NameRequest, z.object({ category: optional(CategoryView) })),
  listCategories: rpc("list", z.object({ parentId: optional(uuid), ...paging }), CategoryPage),
  searchCategories: rpc("list", SearchRequest, CategoryPage),
  listCategoriesPaginated: rpc("list", z.object(paging), CategoryPage),
  getCategoryStatistics: rpc(
    "read",
    Empty,
    z.object({
      totalCategories: z.number().int(),
      rootCategories: z.number().int(),
      maxDepth: z.number().int(),
      categoriesWithProducts: z.number().int(),
      emptyCategories: z.number().int(),
    }),
  ),
  categoryExists: rpc("read", IdRequest, Exists),
  getCategoriesByIds: rpc("list", IdsRequest, z.object({ categories: z.array(CategoryView) })),
  getCategoryTree: rpc("list", Empty, z.object({ roots: z.array(CategoryNode) })),
  getCategoryPath: rpc("read", IdRequest, z.object({ path: z.array(PathSegment) })),
  getCategoryWithProducts: rpc(
    "read",
    IdRequest,
    z.object({ category: optional(CategoryView), products: z.array(ProductView) }),
  ),
});

/** `cqrs.query.v1.ProductQueries`. */
export const productQueries = defineService("cqrs.query.v1.ProductQueries", PROTO, {
  getProduct: rpc("read", IdRequest, z.object({ product: optional(ProductView) })),
  getProductWithCategory: rpc(
    "read",
    IdRequest,
    z.object({ product: optional(ProductView), category: optional(CategoryView) }),
  ),
  getProductByName: rpc("read", NameRequest, z.object({ product: optional(ProductView) })),
  listProducts: rpc("list", z.object(paging), ProductPage),
  listProductsWithCategories: rpc("list", z.object(paging), ProductPage),
  getProductsByCategory: rpc("list", z.object({ categoryId: uuid, ...paging }), ProductPage),
  searchProducts: rpc("list", SearchRequest, ProductPage),
  getProductsByPriceRange: rpc(
    "list",
    z.object({ minPrice: optional(money), maxPrice: optional(money), ...paging }),
    ProductPage,
  ),
  listProductsSortedByPrice: rpc(
    "list",
    z.object({
      direction: optional(z.enum(["asc", "desc"], { error: "must be asc or desc" })),
      ...paging,
    }),
    ProductPage,
  ),
  listProductsPaginated: rpc("list", z.object(paging), ProductPage),
  getProductsByIds: rpc("list", IdsRequest, z.object({ products: z.array(ProductView) })),
  getProductsByCategoryIds: rpc(
    "list",
    IdsRequest,
    z.object({ products: z.array(ProductView) }),
  ),
  searchProductsAdvanced: rpc(
    "list",
    z.object({
      text: optional(text(200)),
      categoryId: optional(uuid),
      minPrice: optional(money),
      maxPrice: optional(money),
      sort: optional(
        z.enum(["name_asc", "name_desc", "price_asc", "price_desc", "newest"], {
          error: "must be one of name_asc, name_desc, price_asc, price_desc, newest",
        }),
      ),
      ...paging,
    }),
    ProductPage,
  ),
  getProductStatistics: rpc(
    "read",
    Empty,
    z.object({
      count: z.number().int(),
      averagePrice: optional(z.string()),
      minPrice: optional(z.string()),
      maxPrice: optional(z.string()),
      totalStock: z.number().int(),
    }),
  ),
  getCategoryProductStatistics: rpc(
    "read",
    z.object({ categoryId: uuid }),
    z.object({
      categoryId: z.string(),
      categoryName: optional(z.string()),
      productCount: z.number().int(),
      averagePrice: optional(z.string()),
      minPrice: optional(z.string()),
      maxPrice: optional(z.string()),
    }),
  ),
  productExists: rpc("read", IdRequest, Exists),
});

/** `cqrs.query.v1.OrderQueries`. */
export const orderQueries = defineService("cqrs.query.v1.OrderQueries", PROTO, {
  getOrder: rpc("read", IdRequest, z.object({ order: optional(OrderView) })),
  listOrders: rpc("list", z.object(paging), OrderPage),
  getOrdersByCustomer: rpc("list", z.object({ customerId: uuid, ...paging }), OrderPage),
  getOrdersByStatus: rpc("list", z.object({ status: orderStatus, ...paging }), OrderPage),
  getOrderStats: rpc(
    "read",
    Empty,
    z.object({
      totalOrders: z.number().int(),
      byStatus: z.array(z.object({ status: z.string(), count: z.number().int() })),
      totalRevenue: z.string(),
      averageOrderValue: optional(z.string()),
    }),
  ),
  getSagaState: rpc(
    "read",
    z.object({ orderId: uuid }),
    z.object({ saga: optional(SagaStateView) }),
  ),
});

/** Every query service contract. */
export const queryContracts = [categoryQueries, productQueries, orderQueries] as const;
