/**
 * What the gateway itself refuses before any service is called: no service
 * listens on the addresses below, so every answer here is the gateway's.
 */
import assert from "node:assert/strict";
import { type PostedAnswer, postGraphQL, withLoneGateway } from "@shared/testing/lone_gateway.ts";
import type { Gateway } from "./app.ts";
import { DEVELOPMENT_SECRET, signToken } from "./auth.ts";

type Answer = PostedAnswer;

const withGateway = (fn: (gateway: Gateway) => Promise<void>) => withLoneGateway({}, fn);

const post = (
  gateway: Gateway,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> => postGraphQL(gateway, query, { variables, headers });

function assertValidation(answer: Answer, field: string): void {
  const error = answer.errors?.[0];
  assert.equal(error?.extensions?.code, "VALIDATION", JSON.stringify(answer));
  const fields = error?.extensions?.fields?.map((f) => f.field) ?? [];
  assert.ok(fields.includes(field), `${field} not in ${fields.join(", ")}`);
}

const SET_STOCK = `mutation ($q: Int!) {
  setStock(input: { productId: "00000000-0000-4000-8000-000000000001", quantity: $q }) { id }
}`;
const CREATE_ORDER = `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;
const CREATE_PRODUCT =
  `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`;

Deno.test("a variable of the wrong type is VALIDATION naming it, never INTERNAL", async () => {
  await withGateway(async (gw) => {
    for (const q of [2 ** 31, 1.5, "10"]) assertValidation(await post(gw, SET_STOCK, { q }), "q");
    const item = { productId: "00000000-0000-4000-8000-000000000001", quantity: 1.5 };
    const address = { street: "s", city: "c", postalCode: "p" };
    assertValidation(
      await post(gw, CREATE_ORDER, {
        input: { customerId: item.productId, items: [item], shippingAddress: address },
      }),
      "input.items[0].quantity",
    );
    assertValidation(
      await post(gw, CREATE_PRODUCT, {
        input: { name: "P", price: 5.5, categoryId: item.productId },
      }),
      "input.price",
    );
  });
});

Deno.test("a position past 64 bits in events(after:) is VALIDATION naming after", async () => {
  const admin = await signToken({ sub: "admin", roles: ["admin"] }, {
    secret: DEVELOPMENT_SECRET,
    ttlSeconds: 3600,
  });
  await withGateway(async (gw) => {
    for (const after of ["1:99999999999999999999", "9223372036854775808:1"]) {
      const answer = await post(gw, `query ($a: String) { events(after: $a) { nextAfter } }`, {
        a: after,
      }, { authorization: `Bearer ${admin}` });
      assertValidation(answer, "after");
    }
  });
});

Deno.test("metadata headers that are not ASCII, or a bad token, are refused with 400", async () => {
  await withGateway(async (gw) => {
    for (const header of ["X-Correlation-Id", "traceparent", "X-User-Id", "X-Consistency-Token"]) {
      const answer = await post(gw, "{ categories { id } }", {}, { [header]: "caf\u00e9" });
      assert.equal(answer.status, 400);
      assertValidation(answer, header);
    }
    const long = await post(gw, "{ categories { id } }", {}, {
      "X-Consistency-Token": "1:99999999999999999999",
    });
    assert.equal(long.status, 400);
    assertValidation(long, "X-Consistency-Token");
  });
});
