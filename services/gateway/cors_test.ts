import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import {
  PRODUCTION_AUTH as productionAuth,
  withLoneGateway as withGateway,
} from "@shared/testing/lone_gateway.ts";
import type { Gateway } from "./app.ts";
import { corsPolicyOf } from "./cors.ts";

// A lone gateway: a mutation that reached a service would answer UNAVAILABLE,
// so a 415 shows the gateway refused it before anything ran.
const SHOP = "https://shop.example.com";
const EVIL = "https://evil.example.net";

/** A query (answered by the gateway alone: introspection of the type name) from `origin`. */
async function ask(gateway: Gateway, origin: string, headers: Record<string, string> = {}) {
  const res = await gateway.fetch(
    new Request("http://gateway/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", origin, ...headers },
      body: JSON.stringify({ query: "{ __typename }" }),
    }),
  );
  await res.body?.cancel();
  return res;
}

function preflight(gateway: Gateway, origin: string) {
  return gateway.fetch(
    new Request("http://gateway/graphql", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    }),
  );
}

Deno.test("CORS lets only listed origins read answers with credentials", async (t) => {
  await withGateway(
    { cors: corsPolicyOf(`${SHOP}, http://localhost:5173`, "production") },
    async (gw) => {
      await t.step("a listed origin gets its origin and credentials", async () => {
        const res = await ask(gw, SHOP);
        assert.equal(res.headers.get("access-control-allow-origin"), SHOP);
        assert.equal(res.headers.get("access-control-allow-credentials"), "true");
        assert.match(res.headers.get("vary") ?? "", /Origin/);
        const pre = await preflight(gw, SHOP);
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get("access-control-allow-origin"), SHOP);
        assert.match(pre.headers.get("access-control-allow-headers") ?? "", /authorization/);
      });
      await t.step("another origin gets no CORS headers, on a preflight neither", async () => {
        for (const res of [await ask(gw, EVIL), await preflight(gw, EVIL)]) {
          assert.equal(res.headers.get("access-control-allow-origin"), null);
          assert.equal(res.headers.get("access-control-allow-credentials"), null);
        }
      });
      await t.step("the gateway's own refusals (401, 400) follow the same policy", async () => {
        const bad = { authorization: "Bearer not-a-token" };
        const listed = await ask(gw, SHOP, bad);
        assert.equal(listed.status, 401);
        assert.equal(listed.headers.get("access-control-allow-origin"), SHOP);
        const other = await ask(gw, EVIL, bad);
        assert.equal(other.status, 401);
        assert.equal(other.headers.get("access-control-allow-origin"), null);
        const forged = await ask(gw, EVIL, { "x-user-id": "x".repeat(1000) });
        assert.equal(forged.headers.get("access-control-allow-origin"), null);
      });
    },
  );
});

Deno.test("production without CORS_ORIGINS sends no CORS headers at all", async () => {
  await withGateway({ mode: "production", auth: productionAuth }, async (gw) => {
    for (const res of [await ask(gw, SHOP), await preflight(gw, SHOP)]) {
      const cors = [...res.headers.keys()].filter((h) => h.startsWith("access-control-"));
      assert.deepEqual(cors, []);
    }
  });
});

Deno.test("development without CORS_ORIGINS allows any origin, never with credentials", async () => {
  await withGateway({}, async (gw) => {
    const res = await ask(gw, EVIL, await bearer("alice", ["customer"]));
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("access-control-allow-credentials"), null);
  });
});

Deno.test("CORS_ORIGINS: * only alone and only in development; entries must be origins", () => {
  assert.equal(corsPolicyOf("*", "development"), "any");
  assert.equal(corsPolicyOf(undefined, "development"), "any");
  assert.equal(corsPolicyOf("", "production"), "none");
  assert.throws(() => corsPolicyOf("*", "production"), /CORS_ORIGINS: may be \* only/);
  assert.throws(() => corsPolicyOf(`${SHOP},*`, "development"), /CORS_ORIGINS/);
  assert.throws(() => corsPolicyOf(`${SHOP}/`, "production"), /CORS_ORIGINS: must list origins/);
  assert.throws(() => corsPolicyOf("shop.example.com", "production"), /CORS_ORIGINS/);
});

Deno.test("mutations are accepted only as JSON: form, multipart and text bodies get 415", async (t) => {
  await withGateway({ cors: corsPolicyOf(SHOP, "production") }, async (gw) => {
    const mutation = 'mutation { deleteCategory(input: { id: "c1" }) }';
    const cases: [string, BodyInit][] = [
      ["application/x-www-form-urlencoded", new URLSearchParams({ query: mutation })],
      ["text/plain", JSON.stringify({ query: mutation })],
      [
        "multipart/form-data",
        (() => {
          const form = new FormData();
          form.set("operations", JSON.stringify({ query: mutation }));
          return form;
        })(),
      ],
    ];
    for (const [type, body] of cases) {
      await t.step(type, async () => {
        const request = new Request("http://gateway/graphql", {
          method: "POST",
          headers: { origin: SHOP, ...await bearer("root", ["admin"]) },
          body,
        });
        // FormData and URLSearchParams set their own type (with a boundary or charset).
        if (type === "text/plain") request.headers.set("content-type", "text/plain;charset=UTF-8");
        assert.ok(request.headers.get("content-type")?.startsWith(type));
        const res = await gw.fetch(request);
        assert.equal(res.status, 415);
        const json = await res.json() as {
          data?: unknown;
          errors: { message: string; extensions: { code: string } }[];
        };
        assert.equal(json.data, undefined, "nothing ran");
        assert.equal(json.errors[0]!.extensions.code, "UNSUPPORTED_MEDIA_TYPE");
        assert.ok(json.errors[0]!.message.includes(type), json.errors[0]!.message);
        // A browser still may read why, when the origin is listed.
        assert.equal(res.headers.get("access-control-allow-origin"), SHOP);
      });
    }
    await t.step("a mutation over GET is refused (405) before it runs", async () => {
      const url = `http://gateway/graphql?query=${encodeURIComponent(mutation)}`;
      const res = await gw.fetch(
        new Request(url, {
          headers: { accept: "application/json", ...await bearer("root", ["admin"]) },
        }),
      );
      assert.equal(res.status, 405);
      await res.body?.cancel();
    });
    await t.step("a query over GET still works", async () => {
      const url = `http://gateway/graphql?query=${encodeURIComponent("{ __typename }")}`;
      const res = await gw.fetch(new Request(url, { headers: { accept: "application/json" } }));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { data: { __typename: "Query" } });
    });
  });
});
