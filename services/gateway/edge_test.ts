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

/** A POST of a body as written, JSON or not. */
const rawPost = (body: string) =>
  new Request("http://gateway/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });

/** A GET with these query-string parameters, each written as given. */
const rawGet = (params: Record<string, string>) =>
  new Request(`http://gateway/graphql?${new URLSearchParams(params)}`, {
    headers: { accept: "application/graphql-response+json" },
  });

Deno.test("escaped variable names are read as written, after a request with a backslash in a name", async () => {
  // The first body of each pair leaves V8's JSON key cache holding `\`, after
  // which the native parser read `"\u0062"` as `\` (shared/runtime/json.ts).
  const query =
    "query ($a: Boolean!, $b: Boolean!) { a: __typename @include(if: $a) b: __typename @include(if: $b) }";
  const poison = '{"a": true, "\\\\": true}';
  const escaped = '{"a": true, "\\u0062": true}';
  const requests = [
    (variables: string) =>
      rawPost(`{"query": ${JSON.stringify(query)}, "variables": ${variables}}`),
    (variables: string) => rawGet({ query, variables }),
  ];
  await withGateway(async (gw) => {
    for (let round = 0; round < 2; round++) {
      for (const request of requests) {
        await (await gw.fetch(request(poison))).body?.cancel();
        const answer = await (await gw.fetch(request(escaped))).json();
        assert.deepEqual(answer, { data: { a: "Query", b: "Query" } });
      }
    }
  });
});

Deno.test("a POST body that is not a JSON object gets yoga's 400 answers", async () => {
  await withGateway(async (gw) => {
    const cases: [string, string][] = [
      ['{"query": "{ __typename }", "\\n": }', "POST body sent invalid JSON."],
      ["{", "POST body sent invalid JSON."],
      ["null", "POST body is expected to be object but received null"],
      ["42", "POST body is expected to be object but received number"],
    ];
    for (const [text, message] of cases) {
      const res = await gw.fetch(rawPost(text));
      assert.equal(res.status, 400, text);
      const answer = await res.json();
      assert.equal(answer.errors?.[0]?.message, message, text);
    }
  });
});

Deno.test("a GET whose variables or extensions are not JSON gets a 400 naming the parameter", async () => {
  await withGateway(async (gw) => {
    for (const name of ["variables", "extensions"]) {
      for (const text of ["{bad", '{"\\n": }']) {
        const res = await gw.fetch(rawGet({ query: "{ __typename }", [name]: text }));
        assert.equal(res.status, 400, `${name}=${text}`);
        const answer = await res.json();
        assert.equal(answer.errors?.[0]?.extensions?.code, "BAD_REQUEST");
        assert.match(
          answer.errors?.[0]?.message,
          new RegExp(`"${name}" parameter is not valid JSON`),
        );
      }
    }
  });
});
