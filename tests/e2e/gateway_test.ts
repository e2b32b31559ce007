import assert from "node:assert/strict";
import { createClient as createWsClient } from "graphql-ws";
import { Redis } from "ioredis";
import { fileURLToPath } from "node:url";
import { freePort } from "@shared/db/embedded.ts";
import { waitHealthy } from "@shared/runtime/system.ts";
import { startTestSystem, type TestSystem } from "@shared/testing/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { sampleValue, waitForSubscriptions } from "@shared/testing/observability.ts";
import { sseSubscribe, type SseSubscription } from "@shared/testing/sse.ts";
import { startStack } from "@shared/testing/e2e/stack.ts";
import { apiClient, type Data, given, ok } from "@shared/testing/e2e/api.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Health {
  dependencies: Record<string, { status: string; circuit?: string }>;
}

// The query service and the gateway run as real processes: the query service
// is killed with SIGKILL, as a crash would stop it, and started again.
Deno.test("the circuit opens when the query service is down and closes after it returns", async () => {
  const deadlineMs = 1000;
  const system = await startTestSystem({
    LOG_LEVEL: "warn",
    CACHE_ENABLED: "false",
    GRPC_READ_DEADLINE_MS: String(deadlineMs),
    GRPC_LIST_DEADLINE_MS: String(deadlineMs),
    GRPC_RETRIES: "1",
    CIRCUIT_FAILURE_THRESHOLD: "5",
    CIRCUIT_HALF_OPEN_MS: "300",
    CIRCUIT_CLOSE_SUCCESSES: "2",
  });
  const ask = async () => {
    const started = performance.now();
    const res = await gql(system.gatewayUrl, "{ categoryStatistics { totalCategories } }");
    return { ...res, ms: performance.now() - started };
  };
  const circuit = async () => {
    const res = await fetch(`${system.gatewayUrl}/health`);
    const health = await res.json() as Health;
    return health.dependencies.query?.circuit;
  };
  try {
    assert.equal((await ask()).errors, undefined);
    assert.equal(await circuit(), "closed");
    await system.kill("query");
    const failures: { message: string; ms: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await ask();
      assert.equal(res.errors?.[0]?.extensions?.code, "UNAVAILABLE", JSON.stringify(res.errors));
      failures.push({ message: res.errors![0]!.message, ms: res.ms });
    }
    // Each call gave up within its deadline (a retry included), none hung.
    for (const failure of failures) {
      assert.ok(failure.ms < 2 * deadlineMs + 1000, `a failed call took ${failure.ms} ms`);
    }
    assert.equal(await circuit(), "open");
    assert.match(failures.at(-1)!.message, /circuit is open/);
    // An open circuit refuses without waiting for a deadline.
    assert.ok(failures.at(-1)!.ms < deadlineMs, `an open circuit took ${failures.at(-1)!.ms} ms`);

    system.restart("query");
    // Half-open after 300 ms, closed after 2 successes; the gateway is not restarted.
    let recovered = 0;
    for (let i = 0; i < 200 && recovered < 3; i++) {
      const res = await ask();
      if (res.errors === undefined) recovered++;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(recovered, 3, "the gateway answered again once the query service was back");
    assert.equal(await circuit(), "closed");
  } finally {
    await system.close();
  }
});

/** The Redis the cache tests use: the machine's, unless REDIS_URL names another. */
const REDIS_URL = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";

/** A client of {@link REDIS_URL}; fails the test, saying what is missing, when none answers. */
async function connectRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  // connect() below reports the failure; without a listener ioredis would print it too.
  redis.on("error", () => {});
  try {
    await redis.connect();
    assert.equal(await redis.ping(), "PONG");
  } catch (err) {
    redis.disconnect();
    assert.fail(
      `the Redis tier of the cache needs a Redis at ${REDIS_URL} (set REDIS_URL to another): ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  return redis;
}

/** The projections whose positions key category reads. */
const CATEGORY_READS = ["categories", "products", "statistics"];

Deno.test("the cache serves repeated reads, shares them through Redis, and never a value older than a projected change", async () => {
  const redis = await connectRedis();
  const stack = await startStack();
  const namespace = `test-${crypto.randomUUID()}`;
  try {
    const a = await stack.gateway({ cache: { redisUrl: REDIS_URL, namespace } });
    const b = await stack.gateway({ cache: { redisUrl: REDIS_URL, namespace } });
    const url = (g: typeof a) => `http://127.0.0.1:${g.port}`;
    const staff = await bearer("clerk", ["staff"]);
    const created = await gql<{ createCategory: { id: string } }>(
      url(a),
      `mutation { createCategory(input: {name: "Cached"}) { id } }`,
      {},
      staff,
    );
    const id = created.data!.createCategory.id;
    const read = async (g: typeof a) =>
      (await gql<{ category: { name: string } }>(url(g), `{ category(id: "${id}") { name } }`))
        .data!.category.name;
    // Wait until the projections behind category reads have all announced the create.
    const settled = () => {
      const positions = a.gateway.feed?.version(CATEGORY_READS)
        ?.split(",").map((part) => part.split("@")[1]);
      return positions !== undefined && positions[0] !== "0" && new Set(positions).size === 1;
    };
    for (let i = 0; i < 200 && !settled(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(settled(), "the change feed announced the create");
    assert.equal(await read(a), "Cached");

    // The first gateway wrote what it read to Redis (the write does not hold up the answer).
    const stored = async () =>
      (await redis.keys(`${namespace}|*`)).filter((k) => k.includes("getCategory"));
    let keys = await stored();
    for (let i = 0; i < 500 && keys.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      keys = await stored();
    }
    assert.equal(
      keys.length,
      1,
      `the first gateway stored its category read in Redis at ${REDIS_URL}`,
    );
    // The second gateway has never read this category, so nothing of it is in its own memory:
    // once its feed is at the same version, its first read is a hit only if Redis answered it.
    const version = a.gateway.feed!.version(CATEGORY_READS);
    for (let i = 0; i < 500 && b.gateway.feed?.version(CATEGORY_READS) !== version; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(b.gateway.feed?.version(CATEGORY_READS), version, "both feeds at one version");
    const fromRedis = { ...b.gateway.cache!.stats };
    assert.equal(await read(b), "Cached");
    assert.deepEqual(
      b.gateway.cache!.stats,
      { ...fromRedis, hits: fromRedis.hits + 1 },
      "the second gateway's first read came from Redis, without calling the query service",
    );

    // The same request again: its whole answer comes from the response cache.
    const responsesBefore = { ...a.gateway.responses!.stats };
    assert.equal(await read(a), "Cached");
    assert.equal(a.gateway.responses!.stats.hits, responsesBefore.hits + 1);
    // Another request for the same data: a new answer, from the query results cache.
    const before = { ...a.gateway.cache!.stats };
    const other = await gql<{ c: { name: string } }>(
      url(a),
      `{ c: category(id: "${id}") { name } }`,
    );
    assert.equal(other.data!.c.name, "Cached");
    assert.equal(a.gateway.cache!.stats.hits, before.hits + 1);
    assert.equal(a.gateway.responses!.stats.misses, responsesBefore.misses + 1);
    // Credentials, a consistency token or an idempotency key bypass the response cache.
    const hits = a.gateway.responses!.stats.hits;
    const token = await gql<{ category: { name: string } }>(
      url(a),
      `{ category(id: "${id}") { name } }`,
      {},
      { "x-consistency-token": "1:1" },
    );
    assert.equal(token.data!.category.name, "Cached");
    assert.equal(a.gateway.responses!.stats.hits, hits);

    // A change made elsewhere (another replica), announced to this one by the change feed.
    const announced = new Promise<void>((resolve) => {
      const off = a.gateway.feed!.onChange((n) => {
        // The categories projection's announcement: others apply the event too.
        if (
          n.projection === "categories" &&
          n.events.some((e) => e.id === id && e.type === "CategoryUpdated")
        ) {
          off();
          resolve();
        }
      });
    });
    const renamed = await gql(
      url(b),
      `mutation { updateCategory(input: {id: "${id}", name: "Renamed"}) { name } }`,
      {},
      staff,
    );
    assert.equal(renamed.errors, undefined);
    await announced;
    assert.equal(await read(a), "Renamed");
    // And through the gateway that made it, at once, with the mutation's token (the
    // mutation answers without waiting for the read model).
    const again = await gql(
      url(a),
      `mutation { updateCategory(input: {id: "${id}", name: "Again"}) { name } }`,
      {},
      staff,
    );
    assert.equal(again.errors, undefined);
    const seen = await gql<{ category: { name: string } }>(
      url(a),
      `{ category(id: "${id}") { name } }`,
      {},
      { "x-consistency-token": String(again.extensions?.consistencyToken) },
    );
    assert.equal(seen.data!.category.name, "Again");
    assert.ok(a.gateway.cache!.stats.misses > 0);
  } finally {
    await stack.stop();
    const left = await redis.keys(`${namespace}|*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  }
});

Deno.test("subscriptions reach SSE and graphql-ws clients of every gateway replica", async () => {
  const env = { PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" };
  const system = await startTestSystem(env);
  const { db, ports } = system;
  const secondPort = freePort();
  const second = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "services/gateway/main.ts"],
    cwd: root,
    env: {
      ...env,
      GATEWAY_PORT: String(secondPort),
      COMMAND_SERVICE_ADDRESS: `127.0.0.1:${ports.command}`,
      QUERY_SERVICE_ADDRESS: `127.0.0.1:${ports.query}`,
      READ_MODEL_URL: db.readModelUrl,
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const secondUrl = `http://127.0.0.1:${secondPort}`;
  const ws = createWsClient({
    url: `ws://127.0.0.1:${secondPort}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const subscriptions: { close(): Promise<void> }[] = [];
  try {
    await waitHealthy(secondUrl);
    // Over SSE on the first replica, over WebSocket on the second.
    const sse = await sseSubscribe(
      system.gatewayUrl,
      `subscription { categoryCreated { id name } }`,
    );
    subscriptions.push(sse);
    // A subscriber that never reads: it must not hold the others up.
    const stalled = await sseSubscribe(secondUrl, `subscription { categoryCreated { id name } }`);
    subscriptions.push(stalled);
    const wsEvents: unknown[] = [];
    let wsError: unknown;
    const wsDone = ws.subscribe({ query: `subscription { categoryCreated { name } }` }, {
      next: (value) => wsEvents.push(value.data),
      error: (err) => (wsError = err),
      complete: () => {},
    });
    // Every subscription is registered with its gateway's change feed before anything is written.
    await waitForSubscriptions(system.gatewayUrl, 1);
    await waitForSubscriptions(secondUrl, 2);

    const names = ["Alpha", "Beta", "Gamma"];
    for (const name of names) {
      const res = await gql(
        system.gatewayUrl,
        `mutation { createCategory(input: {name: "${name}"}) { id } }`,
        {},
        await bearer("clerk", ["staff"]),
      );
      assert.equal(res.errors, undefined);
    }
    const seen: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const event = await sse.next() as { categoryCreated: { name: string } };
      seen.push(event.categoryCreated.name);
    }
    assert.deepEqual(seen.sort(), names);
    for (let i = 0; i < 100 && wsEvents.length < names.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(wsError, undefined);
    assert.deepEqual(
      (wsEvents as { categoryCreated: { name: string } }[]).map((e) => e.categoryCreated.name)
        .sort(),
      names,
    );
    wsDone();
    await ws.dispose();
    for (const s of subscriptions.splice(0)) await s.close();
    // Closed by their clients, they are closed on the gateways too.
    await waitForSubscriptions(system.gatewayUrl, 0);
    await waitForSubscriptions(secondUrl, 0);
  } finally {
    await ws.dispose();
    for (const s of subscriptions) await s.close();
    second.kill("SIGTERM");
    const killer = setTimeout(() => second.kill("SIGKILL"), 10_000);
    await second.status;
    clearTimeout(killer);
    await system.close();
  }
});

/**
 * One SSE subscription to `query` per entry of `headers` (each entry a caller),
 * all listening on the gateway when it returns.
 */
async function watchers(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>[],
): Promise<SseSubscription[]> {
  const opened: SseSubscription[] = [];
  try {
    for (const caller of headers) opened.push(await sseSubscribe(url, query, variables, caller));
    await waitForSubscriptions(url, headers.length);
    return opened;
  } catch (err) {
    for (const sub of opened) await sub.close();
    throw err;
  }
}

/** How many calls of `method` the query service has answered OK, from its /metrics. */
async function answered(system: TestSystem, service: string, method: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${system.ports.queryMetrics}/metrics`);
  return sampleValue(await res.text(), "grpc_server_handled_total", {
    service: `cqrs.query.v1.${service}`,
    method,
    code: "OK",
  }) ?? 0;
}

/**
 * Opens one SSE subscription to `subscription` per entry of `callers`, makes
 * `change`, checks that every subscriber receives `expected`, and answers how
 * many calls of `read` (a query service method) were answered meanwhile.
 */
async function readsForOneChange(system: TestSystem, watched: {
  subscription: string;
  variables: Record<string, unknown>;
  callers: Record<string, string>[];
  read: [service: string, method: string];
  change: () => Promise<unknown>;
  expected: Record<string, unknown>;
}): Promise<number> {
  const { subscription, variables, callers, read, change, expected } = watched;
  const watching = await watchers(system.gatewayUrl, subscription, variables, callers);
  try {
    const before = await answered(system, ...read);
    await change();
    for (const watcher of watching) assert.deepEqual(await watcher.next(), expected);
    return await answered(system, ...read) - before;
  } finally {
    for (const watcher of watching) await watcher.close();
  }
}

Deno.test("the live event feed stops listening when its subscriber goes away, though nothing matches it again", async () => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  try {
    const api = await apiClient(system, { subject: "clerk", roles: ["staff"] });
    const [feed] = await watchers(
      system.gatewayUrl,
      `subscription { eventAppended(aggregateType: "Category") { type } }`,
      {},
      [await bearer("root", ["admin"])],
    );
    let category: Data;
    try {
      category = await given(api).category({ name: "Watched" });
      assert.deepEqual(await feed!.next(), { eventAppended: { type: "CategoryCreated" } });
    } finally {
      await feed!.close();
    }
    // The feed is woken by a change its filter does not take, and by no other after it.
    await given(api).product({ name: "Unwatched", price: "1.00", categoryId: category.id });
    await waitForSubscriptions(system.gatewayUrl, 0);
  } finally {
    await system.close();
  }
});

Deno.test("a catalogue change watched by many subscribers is read from the query service once", async () => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "100", LOG_LEVEL: "warn" });
  try {
    const api = await apiClient(system, { subject: "clerk", roles: ["staff"] });
    const category = await given(api).category({ name: "Shop" });
    const product = await given(api).product({
      name: "Lamp",
      price: "9.00",
      categoryId: category.id,
    });
    // Anonymous visitors and a signed-in customer, as a product page's readers are.
    const customer = await bearer(crypto.randomUUID(), ["customer"]);
    const calls = await readsForOneChange(system, {
      subscription: `subscription($id: ID) { productUpdated(id: $id) { name } }`,
      variables: { id: product.id },
      callers: [customer, ...Array.from({ length: 19 }, () => ({}))],
      read: ["ProductQueries", "GetProduct"],
      change: async () =>
        ok(
          await api.request(
            `mutation { updateProduct(input: {id: "${product.id}", name: "Desk lamp"}) { id } }`,
          ),
        ),
      expected: { productUpdated: { name: "Desk lamp" } },
    });
    // One call for the event, shared by the twenty (without sharing: twenty).
    assert.equal(calls, 1);
  } finally {
    await system.close();
  }
});

Deno.test("an order change read for many subscriptions of one caller is one read per caller", async () => {
  const system = await startTestSystem({
    PROJECTOR_POLL_MS: "100",
    SAGA_POLL_MS: "100",
    LOG_LEVEL: "warn",
  });
  try {
    const api = await apiClient(system, { subject: "clerk", roles: ["staff"] });
    const customer = crypto.randomUUID();
    const lamp = await given(api).stockedProduct("Lamp", "19.99", 10);
    const order = await given(api).order(customer, [{ productId: lamp.id, quantity: 1 }]);
    await given(api).saga(order.id, ["completed"]);
    // Ten pages of the customer, one of staff.
    const asCustomer = await bearer(customer, ["customer"]);
    const calls = await readsForOneChange(system, {
      subscription: `subscription($id: ID) { orderStatusChanged(orderId: $id) { status } }`,
      variables: { id: order.id },
      callers: [...Array.from({ length: 10 }, () => asCustomer), api.headers],
      read: ["OrderQueries", "GetOrder"],
      change: async () =>
        ok(
          await api.request(
            `mutation { updateOrderStatus(input: {id: "${order.id}", status: "processing"}) { id } }`,
          ),
        ),
      expected: { orderStatusChanged: { status: "processing" } },
    });
    // One read with each token (without sharing: eleven).
    assert.equal(calls, 2);
  } finally {
    await system.close();
  }
});
