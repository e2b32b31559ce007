import { z } from "zod";
import { defineService, rpc, type RpcTerms } from "@shared/grpc/contract.ts";
import { declareProtoFile, message } from "@shared/grpc/proto_text.ts";
import { ORDER_STATUSES } from "@shared/domain/order/status.ts";
import { SAGA_STATUSES } from "@shared/domain/order_saga/types.ts";
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

/** "a, b or c". */
function listed(values: readonly string[]): string {
  return `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
}

/** One ancestor on a category's path. */
export const PathSegment = message(
  "PathSegment",
  z.object({ id: z.string(), name: z.string() }),
  "One ancestor on a category's path from the root.",
);
/** One ancestor on a category's path. */
export type PathSegment = z.output<typeof PathSegment>;

/** A category as the read model holds it. */
export const CategoryView = message(
  "Category",
  z.object({
    id: z.string(),
    name: z.string(),
    description: optional(z.string()),
    parentId: optional(z.string()),
    path: z.array(PathSegment).describe(
      "Ancestors from the root down to this category, inclusive.",
    ),
    depth: z.number().int().describe("1 for a root category; at most 5."),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    childCount: z.number().int(),
    productCount: z.number().int(),
  }),
);
/** A category as the read model holds it. */
export type CategoryView = z.output<typeof CategoryView>;

/** A product as the read model holds it, with its category's name and its stock. */
export const ProductView = message(
  "Product",
  z.object({
    id: z.string(),
    name: z.string(),
    description: optional(z.string()),
    price: z.string().describe('Decimal string with two places, e.g. "19.99".'),
    categoryId: z.string(),
    categoryName: optional(z.string()),
    stock: z.number().int(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    archived: z.boolean().describe(
      "Out of the catalogue: left out of every list, still readable by id.",
    ),
  }),
);
/** A product as the read model holds it, with its category's name and its stock. */
export type ProductView = z.output<typeof ProductView>;

const Address = message(
  "Address",
  z.object({ street: z.string(), city: z.string(), postalCode: z.string() }),
);

/** The state of an order's saga. */
export const SagaStateView = message(
  "SagaState",
  z.object({
    sagaId: z.string(),
    orderId: z.string(),
    status: z.string().describe(`${listed(SAGA_STATUSES)}.`),
    completedSteps: z.array(z.string()),
    currentStep: optional(z.string()),
    failureReason: optional(z.string()),
    startedAt: z.string(),
    completedAt: optional(z.string()),
  }),
);
/** The state of an order's saga. */
export type SagaStateView = z.output<typeof SagaStateView>;

/** One line of an order; money as decimal strings. */
export const OrderItemView = message(
  "OrderItem",
  z.object({
    productId: z.string(),
    productName: z.string(),
    quantity: z.number().int(),
    unitPrice: z.string(),
    discountRate: z.string(),
    lineTotal: z.string(),
  }),
);
/** One line of an order; money as decimal strings. */
export type OrderItemView = z.output<typeof OrderItemView>;

/** An order as the read model holds it; money as decimal strings. */
export const OrderView = message(
  "Order",
  z.object({
    id: z.string(),
    customerId: z.string(),
    status: z.string().describe(`${listed(ORDER_STATUSES)}.`),
    items: z.array(OrderItemView),
    subtotal: z.string(),
    tax: z.string(),
    shipping: z.string(),
    total: z.string(),
    shippingAddress: Address,
    cancelReason: optional(z.string()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    saga: optional(SagaStateView).describe(
      "The order's saga as of the same read-model position as the order; absent before it starts.",
    ),
  }),
);
/** An order as the read model holds it; money as decimal strings. */
export type OrderView = z.output<typeof OrderView>;

/** Where a page sits in its list. */
export const PageInfo = message(
  "PageInfo",
  z.object({
    page: z.number().int(),
    perPage: z.number().int(),
    totalCount: z.number().int(),
    hasNext: z.boolean(),
  }),
  "Where a page sits in its list.",
);
/** Where a page sits in its list. */
export type PageInfo = z.output<typeof PageInfo>;

/** Counts over the live categories. */
export const CategoryStatistics = message(
  "CategoryStatistics",
  z.object({
    totalCategories: z.number().int(),
    rootCategories: z.number().int(),
    maxDepth: z.number().int(),
    categoriesWithProducts: z.number().int(),
    emptyCategories: z.number().int(),
  }),
);
/** Counts over the live categories. */
export type CategoryStatistics = z.output<typeof CategoryStatistics>;

/** Counts and prices over the live products; prices unset when there are none. */
export const ProductStatistics = message(
  "ProductStatistics",
  z.object({
    count: z.number().int(),
    averagePrice: optional(z.string()),
    minPrice: optional(z.string()),
    maxPrice: optional(z.string()),
    /** Units in stock over every live product (capped at the int32 the contract carries). */
    totalStock: z.number().int(),
    archivedCount: z.number().int().describe(
      "Archived (not deleted) products, counted apart: the fields above cover the live products " +
        "only.",
    ),
  }),
);
/** Counts and prices over the live products; prices unset when there are none. */
export type ProductStatistics = z.output<typeof ProductStatistics>;

/** Counts and prices over one category's live products. */
export const CategoryProductStatistics = message(
  "CategoryProductStatistics",
  z.object({
    categoryId: z.string(),
    /** Unset when there is no such live category. */
    categoryName: optional(z.string()),
    productCount: z.number().int(),
    averagePrice: optional(z.string()),
    minPrice: optional(z.string()),
    maxPrice: optional(z.string()),
  }),
);
/** Counts and prices over one category's live products. */
export type CategoryProductStatistics = z.output<typeof CategoryProductStatistics>;

/** How many orders there are of one status. */
export const StatusCount = message(
  "StatusCount",
  z.object({ status: z.string(), count: z.number().int() }),
);

/** Orders per status and the revenue of the orders not cancelled. */
export const OrderStats = message(
  "OrderStats",
  z.object({
    totalOrders: z.number().int(),
    /** Every status, in the domain's order, with its count (0 included). */
    byStatus: z.array(StatusCount),
    totalRevenue: z.string().describe("Sum of the totals of orders that were not cancelled."),
    /** That revenue over those orders, half-up to cents; unset when there are none. */
    averageOrderValue: optional(z.string()),
  }),
);
/** Orders per status and the revenue of the orders not cancelled. */
export type OrderStats = z.output<typeof OrderStats>;

const Empty = message("Empty", z.object({}));
const IdRequest = message("IdRequest", z.object({ id: uuid }));
const NameRequest = message(
  "NameRequest",
  z.object({ name: text(1000).min(1, "must not be empty") }),
);
const IdsRequest = message(
  "IdsRequest",
  z.object({
    ids: z.array(uuid).max(1000, "must have at most 1000 ids"),
  }),
);
const SearchRequest = message(
  "SearchRequest",
  z.object({
    searchTerm: text(200).min(1, "must not be empty"),
    ...paging,
  }),
);
const Exists = message("ExistsResponse", z.object({ exists: z.boolean() }));

/** A category with its subtree. */
export type CategoryNode = { category: CategoryView; children: CategoryNode[] };
/** A category with its subtree. */
export const CategoryNode: z.ZodType<CategoryNode> = message(
  "CategoryNode",
  z.lazy(() => z.object({ category: CategoryView, children: z.array(CategoryNode) })),
);

const PageRequest = message(
  "PageRequest",
  z.object(paging),
  "Page numbers start at 1; per_page defaults to 20 and is at most 100.",
);
const CategoryResponse = message(
  "CategoryResponse",
  z.object({ category: optional(CategoryView) }),
);
const ProductResponse = message("ProductResponse", z.object({ product: optional(ProductView) }));
const ProductList = message("ProductList", z.object({ products: z.array(ProductView) }));

const CategoryPage = message(
  "CategoryPage",
  z.object({ categories: z.array(CategoryView), pageInfo: PageInfo }),
);
const ProductPage = message(
  "ProductPage",
  z.object({ products: z.array(ProductView), pageInfo: PageInfo }),
);
const OrderPage = message(
  "OrderPage",
  z.object({ orders: z.array(OrderView), pageInfo: PageInfo }),
);

/**
 * A read of the catalogue, open to anyone: a shop shows its catalogue to visitors before they
 * sign in.
 */
const PUBLIC_READ: RpcTerms = { kind: "read", access: "anonymous" };
/** A list or search of the catalogue, open to anyone, like {@link PUBLIC_READ}. */
const PUBLIC_LIST: RpcTerms = { kind: "list", access: "anonymous" };

/** `cqrs.query.v1.CategoryQueries`. */
export const categoryQueries = defineService("cqrs.query.v1.CategoryQueries", PROTO, {
  getCategory: rpc(PUBLIC_READ, IdRequest, CategoryResponse),
  getCategoryByName: rpc(PUBLIC_READ, NameRequest, CategoryResponse),
  listCategories: rpc(
    PUBLIC_LIST,
    z.object({
      parentId: optional(uuid).describe(
        "Only the children of this category; every category when unset.",
      ),
      ...paging,
    }),
    CategoryPage,
  ),
  searchCategories: rpc(PUBLIC_LIST, SearchRequest, CategoryPage),
  listCategoriesPaginated: rpc(PUBLIC_LIST, PageRequest, CategoryPage),
  getCategoryStatistics: rpc(PUBLIC_READ, Empty, CategoryStatistics),
  categoryExists: rpc(PUBLIC_READ, IdRequest, Exists),
  getCategoriesByIds: rpc(
    PUBLIC_LIST,
    IdsRequest,
    message("CategoryList", z.object({ categories: z.array(CategoryView) })),
  ),
  getCategoryTree: rpc(
    PUBLIC_LIST,
    Empty,
    message("CategoryTree", z.object({ roots: z.array(CategoryNode) })),
  ),
  getCategoryPath: rpc(
    PUBLIC_READ,
    IdRequest,
    message("CategoryPath", z.object({ path: z.array(PathSegment) })),
  ),
  getCategoryWithProducts: rpc(
    PUBLIC_READ,
    IdRequest,
    message(
      "CategoryWithProducts",
      z.object({ category: optional(CategoryView), products: z.array(ProductView) }),
    ),
  ),
});

/** `cqrs.query.v1.ProductQueries`. */
export const productQueries = defineService("cqrs.query.v1.ProductQueries", PROTO, {
  getProduct: rpc(PUBLIC_READ, IdRequest, ProductResponse),
  getProductWithCategory: rpc(
    PUBLIC_READ,
    IdRequest,
    message(
      "ProductWithCategory",
      z.object({ product: optional(ProductView), category: optional(CategoryView) }),
    ),
  ),
  getProductByName: rpc(PUBLIC_READ, NameRequest, ProductResponse),
  listProducts: rpc(PUBLIC_LIST, PageRequest, ProductPage),
  listProductsWithCategories: rpc(PUBLIC_LIST, PageRequest, ProductPage),
  getProductsByCategory: rpc(
    PUBLIC_LIST,
    message("ProductsByCategoryRequest", z.object({ categoryId: uuid, ...paging })),
    ProductPage,
  ),
  searchProducts: rpc(PUBLIC_LIST, SearchRequest, ProductPage),
  getProductsByPriceRange: rpc(
    PUBLIC_LIST,
    message(
      "PriceRangeRequest",
      z.object({ minPrice: optional(money), maxPrice: optional(money), ...paging }),
    ),
    ProductPage,
  ),
  listProductsSortedByPrice: rpc(
    PUBLIC_LIST,
    message(
      "SortedByPriceRequest",
      z.object({
        direction: optional(z.enum(["asc", "desc"], { error: "must be asc or desc" })).describe(
          '"asc" (default) or "desc".',
        ),
        ...paging,
      }),
    ),
    ProductPage,
  ),
  listProductsPaginated: rpc(PUBLIC_LIST, PageRequest, ProductPage),
  getProductsByIds: rpc(PUBLIC_LIST, IdsRequest, ProductList),
  getProductsByCategoryIds: rpc(
    {
      ...PUBLIC_LIST,
      doc: "The live products of several categories at once (for batched GraphQL loading).",
    },
    IdsRequest,
    ProductList,
  ),
  searchProductsAdvanced: rpc(
    PUBLIC_LIST,
    message(
      "AdvancedSearchRequest",
      z.object({
        text: optional(text(200)),
        categoryId: optional(uuid),
        minPrice: optional(money),
        maxPrice: optional(money),
        sort: optional(
          z.enum(["name_asc", "name_desc", "price_asc", "price_desc", "newest"], {
            error: "must be one of name_asc, name_desc, price_asc, price_desc, newest",
          }),
        ).describe(
          "One of name_asc, name_desc, price_asc, price_desc, newest; default name_asc.",
        ),
        ...paging,
      }),
    ),
    ProductPage,
  ),
  getProductStatistics: rpc(PUBLIC_READ, Empty, ProductStatistics),
  getCategoryProductStatistics: rpc(
    PUBLIC_READ,
    message("CategoryIdRequest", z.object({ categoryId: uuid })),
    CategoryProductStatistics,
  ),
  productExists: rpc(PUBLIC_READ, IdRequest, Exists),
});

/** `cqrs.query.v1.OrderQueries`. */
export const orderQueries = defineService("cqrs.query.v1.OrderQueries", PROTO, {
  // Another customer's order reads as not found, so ids cannot be probed.
  getOrder: rpc(
    { kind: "read", access: "customer-own" },
    IdRequest,
    message("OrderResponse", z.object({ order: optional(OrderView) })),
  ),
  listOrders: rpc({ kind: "list", access: "staff" }, PageRequest, OrderPage),
  getOrdersByCustomer: rpc(
    { kind: "list", access: "customer-own" },
    message("CustomerOrdersRequest", z.object({ customerId: uuid, ...paging })),
    OrderPage,
  ),
  getOrdersByStatus: rpc(
    { kind: "list", access: "staff" },
    message("OrdersByStatusRequest", z.object({ status: orderStatus, ...paging })),
    OrderPage,
  ),
  // Business data, not catalogue data.
  getOrderStats: rpc({ kind: "read", access: "staff" }, Empty, OrderStats),
  getSagaState: rpc(
    { kind: "read", access: "customer-own" },
    message("OrderIdRequest", z.object({ orderId: uuid })),
    message("SagaStateResponse", z.object({ saga: optional(SagaStateView) })),
  ),
});

/** Every query service contract. */
export const queryContracts = [categoryQueries, productQueries, orderQueries] as const;

/** `query.proto`, generated from the contracts above (`deno task proto` writes it out). */
export const queryProto = declareProtoFile({
  path: PROTO,
  package: "cqrs.query.v1",
  doc: "The read side, answered from the read model database. A call may carry " +
    "x-consistency-token metadata (a position returned by a command); it is then answered only " +
    "once the projections it reads have passed that position.",
  services: queryContracts,
});
