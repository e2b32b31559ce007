import assert from "node:assert/strict";
import { DEVELOPMENT_SECRET } from "@shared/auth/mod.ts";
import {
  postGraphQL,
  PRODUCTION_AUTH as productionAuth,
  withLoneGateway as withGateway,
} from "@shared/testing/lone_gateway.ts";
import type { Gateway } from "./app.ts";
import { signToken } from "./auth.ts";
import { laterSaga } from "./console/pages/order.js";

// A lone gateway: what is tested here is answered by the gateway itself.
const post = (gateway: Gateway, query: string, token?: string) =>
  postGraphQL(gateway, query, { headers: token ? { authorization: `Bearer ${token}` } : {} });

const signIn = (role: string) =>
  `mutation { developmentSignIn(role: "${role}", subject: "dev-${role}") { token subject role } }`;

Deno.test("developmentSignIn mints a working token in development mode only", async (t) => {
  await t.step("development: a token for the chosen role, which the gateway accepts", async () => {
    await withGateway({}, async (gw) => {
      const res = await post(gw, signIn("admin"));
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const session = res.data!.developmentSignIn!;
      assert.deepEqual([session.subject, session.role], ["dev-admin", "admin"]);
      // Admin-only and reachable without any service: the token is accepted with its role.
      const jobs = await post(gw, "{ projectionJobs { id } }", session.token as string);
      assert.equal(jobs.errors?.[0]?.extensions?.code, "UNAVAILABLE", JSON.stringify(jobs));
      const info = await post(gw, "{ consoleInfo { mode developmentSignIn operations } }");
      assert.deepEqual(info.data!.consoleInfo, {
        mode: "development",
        developmentSignIn: true,
        operations: false,
      });
    });
  });
  await t.step("development: an unknown role is refused, naming the field", async () => {
    await withGateway({}, async (gw) => {
      const res = await post(gw, signIn("root"));
      assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION");
      assert.match(res.errors![0]!.message, /role: must be customer, staff or admin/);
    });
  });
  await t.step("production: refused, and no token is minted", async () => {
    await withGateway({ mode: "production", auth: productionAuth }, async (gw) => {
      const res = await post(gw, signIn("admin"));
      assert.equal(res.data, null);
      assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN");
      assert.match(res.errors![0]!.message, /production mode/);
      const info = await post(gw, "{ consoleInfo { mode developmentSignIn } }");
      assert.deepEqual(info.data!.consoleInfo, { mode: "production", developmentSignIn: false });
    });
  });
  await t.step(
    "development with JWT_SECRET: refused, the secret is not the public one",
    async () => {
      await withGateway({ auth: productionAuth }, async (gw) => {
        const res = await post(gw, signIn("staff"));
        assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN");
      });
    },
  );
});

Deno.test("console operations refuse callers without the role, before any service call", async () => {
  await withGateway({}, async (gw) => {
    const customer = await signToken({ sub: "c1", roles: ["customer"] }, {
      secret: DEVELOPMENT_SECRET,
    });
    const staff = await signToken({ sub: "s1", roles: ["staff"] }, { secret: DEVELOPMENT_SECRET });
    const id = crypto.randomUUID();
    const cases: [string, string | undefined, string][] = [
      [`{ aggregateHistory(id: "${id}") { version } }`, undefined, "UNAUTHENTICATED"],
      [`{ aggregateHistory(id: "${id}") { version } }`, customer, "FORBIDDEN"],
      ["{ projections { projection } }", staff, "FORBIDDEN"],
      ["{ serviceHealth { name } }", customer, "FORBIDDEN"],
      ['mutation { rebuildProjection(projection: "products") { id } }', staff, "FORBIDDEN"],
      [
        'mutation { replayDeadLetters(projection: "products") { id } }',
        undefined,
        "UNAUTHENTICATED",
      ],
    ];
    for (const [query, token, code] of cases) {
      const res = await post(gw, query, token);
      assert.equal(res.errors?.[0]?.extensions?.code, code, `${query}: ${JSON.stringify(res)}`);
    }
  });
});

Deno.test("the live event feed refuses a customer's subscription with FORBIDDEN", async () => {
  await withGateway({}, async (gw) => {
    const customer = await signToken({ sub: "c1", roles: ["customer"] }, {
      secret: DEVELOPMENT_SECRET,
    });
    const res = await gw.fetch(
      new Request("http://gateway/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          authorization: `Bearer ${customer}`,
        },
        body: JSON.stringify({ query: "subscription { eventAppended { eventId } }" }),
      }),
    );
    const text = await res.text();
    assert.match(text, /"code":"FORBIDDEN"/);
    assert.doesNotMatch(text, /"eventId"/);
  });
});

Deno.test("the gateway serves the console and its modules, and nothing else under /console", async () => {
  await withGateway({}, async (gw) => {
    const get = (path: string) => gw.fetch(new Request(`http://gateway${path}`));
    const redirect = await get("/console");
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get("location"), "/console/");
    const page = await get("/console/");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js">/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    // The import map is the only inline script, allowed by its hash.
    assert.match(page.headers.get("content-security-policy") ?? "", /'sha256-[A-Za-z0-9+/=]{44}'/);
    const hooks = await get("/console/vendor/hooks.mjs");
    assert.match(hooks.headers.get("content-type") ?? "", /javascript/);
    assert.match(await hooks.text(), /useState/);
    for (
      const path of ["/console/../deno.json", "/console/vendor/x.mjs", "/console/%2e%2e/app.ts"]
    ) {
      const res = await get(path);
      await res.body?.cancel();
      assert.equal(res.status, 404, path);
    }
  });
});

Deno.test("the order page keeps the later of two saga readings, whatever order they arrive in", () => {
  const saga = (status: string, ...completedSteps: string[]) => ({ status, completedSteps });
  const readings = [
    saga("started"),
    saga("processing", "reserve_inventory"),
    saga("processing", "reserve_inventory", "process_payment"),
    saga("completed", "reserve_inventory", "process_payment", "arrange_shipping", "confirm_order"),
  ];
  // Every pair, both ways round: the later reading wins.
  for (const [i, a] of readings.entries()) {
    for (const b of readings.slice(i + 1)) {
      assert.equal(laterSaga(a, b), b);
      assert.equal(laterSaga(b, a), b);
    }
  }
  const failed = saga("failed", "reserve_inventory");
  const compensated = saga("compensated", "reserve_inventory");
  assert.equal(laterSaga(compensated, failed), compensated);
  assert.equal(laterSaga(saga("compensating", "reserve_inventory"), failed).status, "compensating");
  // One reading alone, or none.
  assert.equal(laterSaga(undefined, failed), failed);
  assert.equal(laterSaga(failed, undefined), failed);
  assert.equal(laterSaga(undefined, undefined), null);
});
