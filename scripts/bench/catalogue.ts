import { signToken } from "../../services/gateway/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { lua, type WrkBody } from "./wrk.ts";

/** What a benchmark needs to write through the gateway: an admin's header and a category. */
export interface BenchCatalogue {
  auth: { authorization: string };
  categoryId: string;
}

/** Signs an admin token with `secret` and creates the category the benchmark's products go in. */
export async function benchCatalogue(
  gatewayUrl: string,
  secret: string,
  name = "Benchmark",
): Promise<BenchCatalogue> {
  const token = await signToken({ sub: "bench", roles: ["admin"] }, { secret });
  const auth = { authorization: `Bearer ${token}` };
  const category = await gql<{ createCategory: { id: string } }>(
    gatewayUrl,
    `mutation ($name: String!) { createCategory(input: {name: $name}) { id } }`,
    { name },
    auth,
  );
  if (category.errors) throw new Error(JSON.stringify(category.errors));
  return { auth, categoryId: category.data!.createCategory.id };
}

/** The mutation every write benchmark sends. */
export const CREATE_PRODUCT =
  `mutation($input: CreateProductInput!) { createProduct(input: $input) { id name price } }`;

/** The read every read benchmark sends. */
export const PRODUCT_BY_ID =
  `query($id: ID!) { product(id: $id) { id name price stock category { name } } }`;

/** Creates `count` products in the category, ten at a time; returns their ids in order. */
export async function seedProducts(
  gatewayUrl: string,
  catalogue: BenchCatalogue,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(10, count - i) },
        (_, k) =>
          gql<{ createProduct: { id: string } }>(gatewayUrl, CREATE_PRODUCT, {
            input: { name: `Seed ${i + k}`, price: "19.99", categoryId: catalogue.categoryId },
          }, catalogue.auth),
      ),
    );
    for (const res of batch) {
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      ids.push(res.data!.createProduct.id);
    }
  }
  return ids;
}

/** wrk bodies of createProduct in the category, each product named `<label> <thread> <n>`. */
export function createProductBody(categoryId: string, label: string): WrkBody {
  return {
    body: `string.format(${
      lua(
        `{"query":${
          JSON.stringify(CREATE_PRODUCT)
        },"variables":{"input":{"name":"${label} %d %d","price":"9.99","categoryId":"${categoryId}"}}}`,
      )
    }, id, n)`,
  };
}

/** wrk bodies of product(id), going round `ids`. */
export function productByIdBody(ids: readonly string[]): WrkBody {
  return {
    prelude: `ids = { ${ids.map((i) => lua(i)).join(", ")} }`,
    body: `string.format(${
      lua(`{"query":${JSON.stringify(PRODUCT_BY_ID)},"variables":{"id":"%s"}}`)
    }, ids[(n % #ids) + 1])`,
  };
}
