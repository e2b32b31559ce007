import { signToken } from "../../services/gateway/auth.ts";
import { gql } from "@shared/testing/graphql.ts";

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
