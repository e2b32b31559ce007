/** Helpers of observability_test.ts: mutations through a gateway, and scrapes of /metrics. */
import assert from "node:assert/strict";
import { sampleValue } from "@shared/testing/observability.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";

/** What {@link placeOrder} created. */
export interface Placed {
  categoryId: string;
  productId: string;
  orderId: string;
}

async function mutate<D>(
  baseUrl: string,
  query: string,
  input: Record<string, unknown>,
): Promise<D> {
  // Staff keep the catalogue and may order for any customer.
  const response = await gql<D>(baseUrl, query, { input }, await bearer("clerk", ["staff"]));
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  return response.data!;
}

/** Through the gateway's GraphQL API: a category, and a product in it with 5 units in stock. */
export async function stockedProduct(
  baseUrl: string,
): Promise<{ categoryId: string; productId: string }> {
  const { createCategory } = await mutate<{ createCategory: { id: string } }>(
    baseUrl,
    `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`,
    { name: "Observed" },
  );
  const categoryId = createCategory.id;
  const { createProduct } = await mutate<{ createProduct: { id: string } }>(
    baseUrl,
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { name: "Lamp", price: "25.00", categoryId },
  );
  const productId = createProduct.id;
  await mutate(
    baseUrl,
    `mutation($input: SetStockInput!) { setStock(input: $input) { id } }`,
    { productId, quantity: 5 },
  );
  return { categoryId, productId };
}

/** Through the gateway: an order of two units of a product; returns its id. */
export async function orderOf(baseUrl: string, productId: string): Promise<string> {
  const { createOrder } = await mutate<{ createOrder: { id: string } }>(
    baseUrl,
    `mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }`,
    {
      customerId: crypto.randomUUID(),
      items: [{ productId, quantity: 2 }],
      shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
    },
  );
  return createOrder.id;
}

/** As a client would: {@link stockedProduct}, then {@link orderOf} it, whose saga the worker runs. */
export async function placeOrder(baseUrl: string): Promise<Placed> {
  const { categoryId, productId } = await stockedProduct(baseUrl);
  return { categoryId, productId, orderId: await orderOf(baseUrl, productId) };
}

/** The text of `GET <url>/metrics`, checked to be Prometheus's text format. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  assert.equal(response.status, 200, `${url}/metrics answered ${response.status}: ${text}`);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  return text;
}

/** The samples of a scrape about the named metrics, histogram buckets left out, for showing. */
export function excerpt(text: string, names: readonly string[]): string {
  return text.split("\n")
    .filter((line) => !line.startsWith("#") && !/_bucket\{/.test(line))
    .filter((line) => names.some((name) => line.startsWith(name)))
    .join("\n");
}

/** What a sample must be: this value, above 0 (`moved`), or at least there and not negative. */
export type Expected = number | "moved" | "present";

/**
 * An asserter over the scrapes of several services: `expect(service, name,
 * labels, expected)` fails naming the sample and quoting that metric's lines.
 */
export function expectSamples<S extends string>(
  scrapes: Record<S, string>,
): (service: S, name: string, labels: Record<string, string>, expected: Expected) => void {
  return (service, name, labels, expected) => {
    const text = scrapes[service];
    const value = sampleValue(text, name, labels);
    const lines = excerpt(text, [name]) || "(none)";
    const what = `${service}: ${name}${JSON.stringify(labels)} is ${value}, expected ${expected}`;
    if (typeof expected === "number") assert.equal(value, expected, `${what}\n${lines}`);
    else {
      assert.ok(value !== undefined && value >= 0, `${what}\n${lines}`);
      if (expected === "moved") assert.ok(value > 0, `${what}\n${lines}`);
    }
  };
}
