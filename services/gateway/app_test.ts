import assert from "node:assert/strict";
import { createLogger } from "@shared/log/mod.ts";
import {
  LONE_GATEWAY as base,
  postGraphQL as post,
  PRODUCTION_AUTH as productionAuth,
  withLoneGateway as withGateway,
} from "@shared/testing/lone_gateway.ts";
import { createGateway, type Gateway } from "./app.ts";
import { toGraphQLError } from "./errors.ts";

function nested(levels: number): string {
  let selection = "id";
  for (let i = 0; i < levels; i++) selection = `children { ${selection} }`;
  return `{ categories { ${selection} } }`;
}

Deno.test("query limits refuse abusive documents before anything is executed", async (t) => {
  await withGateway({ limits: { maxDepth: 6, maxAliases: 3, maxTokens: 200 } }, async (gw) => {
    await t.step("depth", async () => {
      const res = await post(gw, nested(8));
      assert.equal(res.data, undefined);
      assert.match(res.errors![0]!.message, /depth/i);
    });
    await t.step("aliases", async () => {
      const res = await post(
        gw,
        `{ a: categoryExists(id: "x") b: categoryExists(id: "x")
        c: categoryExists(id: "x") d: categoryExists(id: "x") }`,
      );
      assert.equal(res.data, undefined);
      assert.match(res.errors![0]!.message, /aliases/i);
    });
    await t.step("tokens", async () => {
      const res = await post(gw, `{ categories { ${"id name ".repeat(150)} } }`);
      assert.equal(res.data, undefined);
      assert.match(res.errors![0]!.message, /token/i);
    });
    await t.step(
      "within the limits, the query runs (and meets the unreachable service)",
      async () => {
        const res = await post(
          gw,
          `{ category(id: "${crypto.randomUUID()}") { parent { parent { parent { id } } } } }`,
        );
        assert.equal(res.errors![0]!.extensions?.code, "UNAVAILABLE");
      },
    );
  });
  await withGateway({ limits: { maxCost: 50 } }, async (gw) => {
    const res = await post(gw, nested(5));
    assert.equal(res.data, undefined);
    assert.match(res.errors![0]!.message, /cost/i);
  });
});

Deno.test("production mode turns introspection and GraphiQL off unless configured", async () => {
  const introspect = "{ __schema { queryType { name } } }";
  const graphiql = (gw: Gateway) =>
    gw.fetch(new Request("http://gateway/graphql", { headers: { accept: "text/html" } }));
  await withGateway({ mode: "production", auth: productionAuth }, async (gw) => {
    const res = await post(gw, introspect);
    assert.equal(res.data, undefined);
    assert.match(res.errors![0]!.message, /introspection/i);
    const page = await graphiql(gw);
    assert.ok(!(page.headers.get("content-type") ?? "").includes("text/html"));
    await page.body?.cancel();
  });
  await withGateway(
    { mode: "production", auth: productionAuth, introspection: true, graphiql: true },
    async (gw) => {
      const res = await post(gw, introspect);
      assert.deepEqual(res.data, { __schema: { queryType: { name: "Query" } } });
      const page = await graphiql(gw);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      await page.body?.cancel();
    },
  );
  await withGateway({}, async (gw) => {
    const res = await post(gw, introspect);
    assert.deepEqual(res.data, { __schema: { queryType: { name: "Query" } } });
    const page = await graphiql(gw);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /graphiql/i);
  });
});

Deno.test("production mode refuses to start with the development secret", async () => {
  await assert.rejects(() => createGateway({ ...base, mode: "production" }), /JWT_SECRET/);
});

Deno.test("an unexpected error is masked: no message, stack or internals reach the caller", () => {
  const err = new Error("connect ECONNREFUSED postgres://admin:hunter2@db:5432");
  const masked = toGraphQLError(err, createLogger("test"));
  assert.equal(masked.message, "Internal error");
  assert.deepEqual(masked.extensions, { code: "INTERNAL" });
  assert.ok(!JSON.stringify(masked.toJSON()).includes("hunter2"));
});

const nestedLists =
  "categories { products { category { products { category { products { id } } } } } }";

Deno.test("the cost limit multiplies by list sizes: nested lists are refused before they run", async () => {
  await withGateway({}, async (gw) => {
    for (
      const query of [
        `{ ${nestedLists} }`,
        `{ a: ${nestedLists} b: ${nestedLists} c: ${nestedLists} }`,
      ]
    ) {
      const res = await post(gw, query);
      assert.equal(res.data, undefined);
      assert.equal(res.errors?.length, 1);
      assert.equal(res.errors[0]!.extensions?.code, "QUERY_TOO_COSTLY");
      assert.match(res.errors[0]!.message, /cost .* over the limit of 20000/);
    }
    // A full page of products with their category is within the default limit: it runs
    // (and meets the unreachable service).
    const page = await post(gw, `{ products(perPage: 100) { id name price category { name } } }`);
    assert.equal(page.errors![0]!.extensions?.code, "UNAVAILABLE");
  });
  await withGateway({ limits: { maxCost: 1000 } }, async (gw) => {
    const query = `query($n: Int) { products(perPage: $n) { id name price description } }`;
    const run = async (n: number) => {
      const res = await gw.fetch(
        new Request("http://gateway/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query, variables: { n } }),
        }),
      );
      return ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!
        .extensions.code;
    };
    // 1 + 100 x 4 fields is within 1000; the page size comes from the variables.
    assert.equal(await run(100), "UNAVAILABLE");
    await withGateway({ limits: { maxCost: 300 } }, async (small) => {
      const res = await small.fetch(
        new Request("http://gateway/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query, variables: { n: 100 } }),
        }),
      );
      const body = await res.json() as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, "QUERY_TOO_COSTLY");
    });
  });
});

Deno.test("an answer over the size cap is refused with RESPONSE_TOO_LARGE, never cut short", async () => {
  await withGateway({ limits: { maxResponseBytes: 2000 } }, async (gw) => {
    const res = await post(gw, `{ __schema { types { name fields { name } } } }`);
    assert.equal(res.status, 200);
    assert.equal(res.data, null);
    assert.equal(res.errors?.[0]?.extensions?.code, "RESPONSE_TOO_LARGE");
    assert.match(res.errors[0]!.message, /larger than the limit of 2000 bytes/);
    const small = await post(gw, `{ __typename }`);
    assert.deepEqual(small.data, { __typename: "Query" });
  });
});

Deno.test("the gateway's own 401 and 413 answers carry the CORS headers of a listed origin and honour Accept", async () => {
  const origin = "https://shop.example";
  await withGateway({ limits: { maxBodyBytes: 100 }, cors: { origins: [origin] } }, async (gw) => {
    const send = (accept: string, headers: Record<string, string>, body: string) =>
      gw.fetch(
        new Request("http://gateway/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", accept, origin, ...headers },
          body,
        }),
      );
    const small = JSON.stringify({ query: "{ __typename }" });
    const large = JSON.stringify({ query: `{ ${"__typename ".repeat(20)} }` });
    for (
      const [status, code, headers, body] of [
        [401, "UNAUTHENTICATED", { authorization: "Bearer not-a-token" }, small],
        [413, "VALIDATION", {}, large],
      ] as const
    ) {
      for (
        const accept of ["application/graphql-response+json", "application/json"]
      ) {
        const res = await send(accept, headers, body);
        assert.equal(res.status, status);
        assert.equal(res.headers.get("access-control-allow-origin"), origin);
        assert.equal(res.headers.get("access-control-allow-credentials"), "true");
        assert.match(
          res.headers.get("content-type") ?? "",
          new RegExp(`^${accept.replace("+", "\\+")}`),
        );
        const json = await res.json() as { errors: { extensions: { code: string } }[] };
        assert.equal(json.errors[0]!.extensions.code, code);
      }
    }
  });
});

Deno.test("a list longer than assumed is stopped once the answer passes the cost limit", async () => {
  await withGateway({ limits: { maxCost: 1000 } }, async (gw) => {
    // The read model holds 2000 categories, where the cost estimate assumed 50.
    const categories = Array.from({ length: 2000 }, (_, i) => ({ id: `c${i}`, name: `C${i}` }));
    let pages = 0;
    Object.assign(gw.clients.categoryQueries, {
      listCategories: ({ page = 1 }: { page?: number }) => {
        pages++;
        return Promise.resolve({
          categories: categories.slice((page - 1) * 100, page * 100),
          pageInfo: { page, perPage: 100, totalCount: 2000, hasNext: page < 20 },
        });
      },
    });
    const res = await post(gw, `{ categories { id name } }`);
    assert.ok(pages > 0, "the query ran");
    assert.equal(res.data, null);
    assert.equal(res.errors?.length, 1);
    assert.equal(res.errors[0]!.extensions?.code, "RESPONSE_TOO_LARGE");
    assert.match(res.errors[0]!.message, /more than 1000 values/);
    // Within the limit, the same list is answered.
    categories.length = 400;
    const ok = await post(gw, `{ categories { id name } }`);
    assert.equal(ok.errors, undefined);
    assert.equal((ok.data?.categories as unknown as unknown[]).length, 400);
  });
});
