import { MUTATION_SERVICES } from "./resolvers/mutations.ts";
import { mutationTypeDefs } from "./schema_mutations.ts";

/**
 * The GraphQL schema of the gateway (SDL). Money is a decimal string with two
 * places. The mutations and their input types are generated from the command
 * contracts (schema_mutations.ts).
 */
export const typeDefs = /* GraphQL */ `
  "Where a page sits in its list."
  type PageInfo {
    page: Int!
    perPage: Int!
    totalCount: Int!
    hasNext: Boolean!
  }

  "One ancestor on a category's path from the root."
  type PathSegment {
    id: ID!
    name: String!
  }

  type Category {
    id: ID!
    name: String!
    description: String
    parent: Category
    children: [Category!]!
    "Ancestors from the root down to this category, inclusive."
    path: [PathSegment!]!
    "1 for a root category; at most 5."
    depth: Int!
    "The category's live products."
    products: [Product!]!
    productCount: Int!
    createdAt: String!
    updatedAt: String!
  }

  type CategoryNode {
    category: Category!
    children: [CategoryNode!]!
  }

  type CategoryPage {
    categories: [Category!]!
    pageInfo: PageInfo!
  }

  type CategoryStatistics {
    totalCategories: Int!
    rootCategories: Int!
    maxDepth: Int!
    categoriesWithProducts: Int!
    emptyCategories: Int!
  }

  type Product {
    id: ID!
    name: String!
    description: String
    "Decimal string, e.g. 19.99."
    price: String!
    category: Category
    stock: Int!
    createdAt: String!
    updatedAt: String!
    "Out of the catalogue: left out of every list, still readable by id."
    archived: Boolean!
  }

  type ProductPage {
    products: [Product!]!
    pageInfo: PageInfo!
  }

  type ProductStatistics {
    count: Int!
    averagePrice: String
    minPrice: String
    maxPrice: String
    totalStock: Int!
    "Archived products, counted apart: the fields above cover live products only."
    archivedCount: Int!
  }

  type Address {
    street: String!
    city: String!
    postalCode: String!
  }

  type OrderItem {
    productId: ID!
    productName: String!
    quantity: Int!
    unitPrice: String!
    discountRate: String!
    lineTotal: String!
  }

  type Order {
    id: ID!
    customerId: ID!
    "pending, confirmed, payment_pending, payment_failed, processing, shipped, delivered, completed, returned, refunded or cancelled."
    status: String!
    items: [OrderItem!]!
    subtotal: String!
    tax: String!
    shipping: String!
    total: String!
    shippingAddress: Address!
    cancelReason: String
    saga: SagaState
    createdAt: String!
    updatedAt: String!
  }

  type OrderPage {
    orders: [Order!]!
    pageInfo: PageInfo!
  }

  type StatusCount {
    status: String!
    count: Int!
  }

  type OrderStats {
    totalOrders: Int!
    byStatus: [StatusCount!]!
    totalRevenue: String!
    averageOrderValue: String
  }

  type SagaState {
    sagaId: ID!
    "started, processing, compensating, completed, failed or compensated."
    status: String!
    completedSteps: [String!]!
    currentStep: String
    failureReason: String
    startedAt: String!
    completedAt: String
  }

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

  "A stored event with its metadata (command, correlation, causation, user, trace)."
  type AuditEvent {
    position: String!
    eventId: ID!
    aggregateId: ID!
    aggregateType: String!
    type: String!
    version: Int!
    schemaVersion: Int!
    "The payload, as JSON text."
    data: String!
    "The metadata, as JSON text."
    metadata: String!
    createdAt: String!
  }

  type EventPage {
    events: [AuditEvent!]!
    "Pass as after to read on; null at the end."
    nextAfter: String
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
