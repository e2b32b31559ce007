import { eventLog, StoredEvent } from "@proto/command/v1/contract.ts";
import {
  CategoryNode,
  categoryQueries,
  CategoryStatistics,
  CategoryView,
  OrderItemView,
  orderQueries,
  OrderStats,
  OrderView,
  PageInfo,
  PathSegment,
  productQueries,
  ProductStatistics,
  ProductView,
  SagaStateView,
  StatusCount,
} from "@proto/query/v1/contract.ts";
import { shapeOf } from "@shared/grpc/zod_shape.ts";
import { MUTATION_SERVICES } from "./resolvers/mutations.ts";
import { mutationTypeDefs } from "./schema_mutations.ts";
import { type ObjectType, objectTypeDefs } from "./schema_types.ts";

/**
 * The object types and the views they show: the view's fields (less the
 * hidden ones) are generated from its contract (schema_types.ts); the
 * computed ones are the resolvers'.
 */
export const OBJECT_TYPES: readonly ObjectType[] = [
  { name: "PageInfo", view: PageInfo },
  { name: "PathSegment", view: PathSegment },
  {
    name: "Category",
    view: CategoryView,
    hide: ["parentId", "version", "childCount"],
    computed: `
    parent: Category
    children: [Category!]!
    "The category's live products."
    products: [Product!]!`,
  },
  { name: "CategoryNode", view: CategoryNode },
  { name: "CategoryPage", view: categoryQueries.methods.listCategoriesPaginated.output },
  { name: "CategoryStatistics", view: CategoryStatistics },
  {
    name: "Product",
    view: ProductView,
    hide: ["categoryId", "categoryName", "version"],
    computed: "    category: Category",
  },
  { name: "ProductPage", view: productQueries.methods.listProductsPaginated.output },
  { name: "ProductStatistics", view: ProductStatistics },
  { name: "Address", view: shapeOf(OrderView).shippingAddress! },
  { name: "OrderItem", view: OrderItemView },
  { name: "Order", view: OrderView, hide: ["version"] },
  { name: "OrderPage", view: orderQueries.methods.listOrders.output },
  { name: "StatusCount", view: StatusCount },
  { name: "OrderStats", view: OrderStats },
  { name: "SagaState", view: SagaStateView, hide: ["orderId"] },
  {
    name: "AuditEvent",
    view: StoredEvent,
    hide: ["transactionId", "eventType"],
    computed: "    type: String!",
  },
  { name: "EventPage", view: eventLog.methods.listEvents.output },
];

/**
 * The GraphQL schema of the gateway (SDL). Money is a decimal string with two
 * places. The object types that show views, the mutations and their input
 * types are generated from the contracts (schema_types.ts,
 * schema_mutations.ts); the queries and subscriptions are written here.
 */
export const typeDefs = /* GraphQL */ `
${objectTypeDefs(OBJECT_TYPES)}
  input ProductSearchInput {
    text: String
    categoryId: ID
    minPrice: String
    maxPrice: String
    "name_asc (default), name_desc, price_asc, price_desc or newest."
    sort: String
    page: Int
    perPage: Int
  }

  type Query {
    category(id: ID!): Category
    categoryByName(name: String!): Category
    "Every live category, or the children of parentId."
    categories(parentId: ID): [Category!]!
    searchCategories(searchTerm: String!, page: Int, perPage: Int): [Category!]!
    categoriesPaginated(page: Int, perPage: Int): CategoryPage!
    categoryTree: [CategoryNode!]!
    categoryStatistics: CategoryStatistics!
    categoryExists(id: ID!): Boolean!

    product(id: ID!): Product
    productByName(name: String!): Product
    products(page: Int, perPage: Int): [Product!]!
    searchProducts(searchTerm: String!, page: Int, perPage: Int): [Product!]!
    searchProductsAdvanced(input: ProductSearchInput!): ProductPage!
    productsPaginated(page: Int, perPage: Int): ProductPage!
    productsByCategory(categoryId: ID!, page: Int, perPage: Int): [Product!]!
    productsByPriceRange(minPrice: String, maxPrice: String, page: Int, perPage: Int): [Product!]!
    productStatistics: ProductStatistics!
    productExists(id: ID!): Boolean!

    order(id: ID!): Order
    userOrders(userId: ID!, page: Int, perPage: Int): [Order!]!
    ordersByStatus(status: String!, page: Int, perPage: Int): [Order!]!
    orderStats: OrderStats!
    sagaState(orderId: ID!): SagaState
    "The audit trail, for admins: one aggregate's events, or the global order (of one type)."
    events(aggregateId: ID, type: String, after: String, limit: Int): EventPage!
  }

${mutationTypeDefs(Object.values(MUTATION_SERVICES))}
  "Live changes, over GraphQL over SSE and over WebSocket (graphql-ws)."
  type Subscription {
    categoryCreated: Category!
    "Renames, description changes and moves; of one category when id is given."
    categoryUpdated(id: ID): Category!
    "The id of each deleted category."
    categoryDeleted: ID!
    productCreated: Product!
    "Changes of name, description, price, category, stock or archived state; of one product when id is given."
    productUpdated(id: ID): Product!
    "The id of each deleted product."
    productDeleted: ID!
    "Orders created, moved to another status or cancelled; of one order when orderId is given."
    orderStatusChanged(orderId: ID): Order!
    "Each step of an order's saga."
    sagaProgress(orderId: ID!): SagaState!
  }
`;
