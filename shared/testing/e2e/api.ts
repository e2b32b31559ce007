/**
 * given/when/then for tests of the GraphQL API of a running system: `given`
 * puts what a test needs in place through the API, `when` sends the request
 * under test, `then` reads its answer. Each test makes its own client and its
 * own data, named apart from other tests' (see {@link unique}), so tests can
 * share one system without depending on each other.
 */
import assert from "node:assert/strict";
import { bearer } from "../auth.ts";
import { gql, type GraphQLResponse } from "../graphql.ts";
import type { TestSystem } from "../system.ts";

// deno-lint-ignore no-explicit-any
export type Data = Record<string, any>;

/** The category fields the catalogue tests read. */
export const CATEGORY = "id name description depth path { name } parent { id name } productCount";
/** The order fields the order tests read, its saga's included. */
export const ORDER = `id customerId status subtotal tax shipping total cancelReason
  items { productId productName quantity unitPrice discountRate lineTotal }
  shippingAddress { street city postalCode }
  saga { status completedSteps currentStep failureReason startedAt completedAt }`;

/** A shipping address that every order test may use. */
export const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

/** The product fields the catalogue tests read. */
export const PRODUCT = "id name description price stock category { id name }";

/** One caller of the gateway that reads its own writes. */
export interface ApiClient {
  url: string;
  /** The caller's `authorization` header. */
  headers: Record<string, string>;
  /**
   * Sends an operation as the caller, with the consistency token of the last
   * mutation it made, so that a read sees that mutation.
   */
  request<D = Data>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<D>>;
  /** Events in the store: what a refused request must leave unchanged. */
  eventCount(): Promise<number>;
}

/** Options of {@link apiClient}. */
export interface ApiClientOptions {
  /** Default: "catalogue-admin". */
  subject?: string;
  /** Default: admin. */
  roles?: Parameters<typeof bearer>[1];
  /** The system's JWT_SECRET, when it has one. */
  secret?: string;
}

/** A client of the system's gateway acting as `subject` with `roles` (default: an admin). */
export async function apiClient(
  system: TestSystem,
  options: ApiClientOptions = {},
): Promise<ApiClient> {
  const headers = await bearer(
    options.subject ?? "catalogue-admin",
    options.roles ?? ["admin"],
    ...(options.secret ? [options.secret] : []),
  );
  let token: string | undefined;
  return {
    url: system.gatewayUrl,
    headers,
    async request<D = Data>(query: string, variables: Record<string, unknown> = {}) {
      const res = await gql<D>(system.gatewayUrl, query, variables, {
        ...headers,
        ...(token ? { "x-consistency-token": token } : {}),
      });
      const next = res.extensions?.consistencyToken;
      if (typeof next === "string") token = next;
      return res;
    },
    async eventCount() {
      const [row] = await system.db.eventStore<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM events`;
      return Number(row!.n);
    },
  };
}

/** `name` with a suffix no other test uses: root categories are unique by name. */
export function unique(name: string): string {
  return `${name} ${crypto.randomUUID().slice(0, 8)}`;
}

/** The data of an answer that must have no errors. */
export function ok<D>(res: GraphQLResponse<D>): D {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

/** Asserts that the answer is an error with `code`, its message matching `pattern`. */
export function refused(res: GraphQLResponse, code: string, pattern?: RegExp): void {
  const error = res.errors?.[0];
  assert.equal(error?.extensions?.code, code, JSON.stringify(res));
  if (pattern) assert.match(error!.message, pattern);
}

/** What a test puts in place through the API before the request under test. */
export interface Given {
  category(input: Record<string, unknown>): Promise<Data>;
  /** Categories each under the one before: `names[0]` under `parentId` (a root when absent). */
  chain(names: string[], parentId?: string): Promise<Data[]>;
  product(input: Record<string, unknown>): Promise<Data>;
  stock(productId: string, quantity: number): Promise<void>;
  /** A product in a category of its own, with `stock` units. */
  stockedProduct(name: string, price: string, stock: number): Promise<Data>;
  /** An order of `items` for `customerId`, shipped to {@link ADDRESS}; answers {@link ORDER}. */
  order(customerId: string, items: Record<string, unknown>[]): Promise<Data>;
  /** The order once its saga has one of `statuses`; fails after 15 s. */
  saga(orderId: string, statuses: string[]): Promise<Data>;
}

/** Setup steps for `api`; each fails the test when the API refuses it. */
export function given(api: ApiClient): Given {
  const self: Given = {
    async category(input) {
      return ok(
        await api.request(
          `mutation ($i: CreateCategoryInput!) { createCategory(input: $i) { ${CATEGORY} } }`,
          { i: input },
        ),
      ).createCategory;
    },
    async chain(names, parentId) {
      const made: Data[] = [];
      for (const name of names) {
        const parent = made.at(-1)?.id ?? parentId;
        made.push(await self.category(parent ? { name, parentId: parent } : { name }));
      }
      return made;
    },
    async product(input) {
      return ok(
        await api.request(
          `mutation ($i: CreateProductInput!) { createProduct(input: $i) { ${PRODUCT} } }`,
          { i: input },
        ),
      ).createProduct;
    },
    async stock(productId, quantity) {
      ok(
        await api.request(
          `mutation ($i: SetStockInput!) { setStock(input: $i) { stock } }`,
          { i: { productId, quantity } },
        ),
      );
    },
    async stockedProduct(name, price, stock) {
      const category = await self.category({ name: unique("Gear") });
      const product = await self.product({ name, price, categoryId: category.id });
      await self.stock(product.id, stock);
      return product;
    },
    async order(customerId, items) {
      return ok(
        await api.request(
          `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { ${ORDER} } }`,
          { i: { customerId, items, shippingAddress: ADDRESS } },
        ),
      ).createOrder;
    },
    async saga(orderId, statuses) {
      for (let i = 0; i < 150; i++) {
        const { order } = ok(await api.request(`{ order(id: "${orderId}") { ${ORDER} } }`));
        if (order.saga && statuses.includes(order.saga.status)) return order;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`saga of ${orderId} never reached ${statuses.join("/")}`);
    },
  };
  return self;
}

/** The request under test, answered as sent (errors included). */
export interface When {
  mutation<D = Data>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<D>>;
  query<D = Data>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<D>>;
}

/** Requests as `api`'s caller. */
export function when(api: ApiClient): When {
  return {
    mutation: (query, variables) => api.request(query, variables),
    query: (query, variables) => api.request(query, variables),
  };
}
