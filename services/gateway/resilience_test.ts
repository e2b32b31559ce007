import assert from "node:assert/strict";
import { startCommandService } from "../command/app.ts";
import { startQueryService } from "../query/app.ts";
import { startGateway } from "./app.ts";
import { freePort } from "@shared/db/embedded.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import { checkHealth, LIVENESS_SERVICE } from "@shared/grpc/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { gql } from "@shared/testing/graphql.ts";
import { bearer } from "@shared/testing/auth.ts";

const logger = createLogger("test", {});
const STATS = "{ categoryStatistics { totalCategories } }";
const CREATE = `mutation { createCategory(input: {name: "Waited"}) { id } }`;

interface Health {
  status: string;
  dependencies: Record<string, { status: string; circuit?: string }>;
}

/**
 * Command, query and gateway in process, without a projector: a consistency
 * token of a real write is never reached. The gateway's read deadline is
 * shorter than the query service's consistency wait, as 3 s against 5 s are
 * by default, and two outages open a circuit.
 */
async function startWithoutProjector(
  options: { queryReadModelUrl?: string } = {},
) {
  const db = await createTestDatabases();
  const command = await startCommandService({ eventStoreUrl: db.eventStoreUrl, port: 0, logger });
  const queryPort = freePort();
  const queryOptions = {
    readModelUrl: options.queryReadModelUrl ?? db.readModelUrl,
    eventStoreUrl: db.eventStoreUrl,
    port: queryPort,
    host: "127.0.0.1",
    logger,
    consistencyTimeoutMs: 400,
  };
  let query: { stop(): Promise<void> } | undefined = await startQueryService(queryOptions);
  const gateway = await startGateway({
    port: 0,
    host: "127.0.0.1",
    commandAddress: `127.0.0.1:${command.port}`,
    queryAddress: `127.0.0.1:${queryPort}`,
    logger,
    cache: false,
    // Generous next to the 400 ms wait: on a loaded machine the answer needs time to travel back.
    deadlines: { read: 2000, list: 2000 },
    consistencyTimeoutMs: 400,
    resilience: { failureThreshold: 2, retries: 0, halfOpenAfterMs: 600_000 },
  });
  const url = `http://127.0.0.1:${gateway.port}`;
  return {
    url,
    gateway,
    queryPort,
    /** Writes a category and returns its consistency token (its read-back fails: no projector). */
    async write(): Promise<string> {
      await gql(url, CREATE, {}, await bearer("clerk", ["staff"]));
      const [head] = await db.eventStore<{ token: string }[]>`
        SELECT transaction_id || ':' || id AS token FROM events
        ORDER BY transaction_id DESC, id DESC LIMIT 1`;
      return head!.token;
    },
    health: async () => {
      const res = await fetch(`${url}/health`);
      return { code: res.status, body: await res.json() as Health };
    },
    async stopQuery() {
      await query?.stop();
      query = undefined;
    },
    async startQuery() {
      query = await startQueryService(queryOptions);
    },
    async stop() {
      await gateway.stop();
      await query?.stop();
      await command.stop();
      await db.drop();
    },
  };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(what);
}

Deno.test("a consistency token beyond the event store's head is refused at once as VALIDATION", async () => {
  const sys = await startWithoutProjector();
  try {
    const [tx, id] = (await sys.write()).split(":").map(BigInt);
    for (const token of [`${tx! + 1000n}:1`, `${tx}:${id! + 1n}`, "99999999999999:1"]) {
      for (let i = 0; i < 6; i++) {
        const res = await gql(sys.url, STATS, {}, { "x-consistency-token": token });
        assert.equal(res.errors?.[0]?.extensions?.code, "VALIDATION", JSON.stringify(res));
        assert.match(res.errors![0]!.message, /X-Consistency-Token/);
      }
    }
    assert.equal(sys.gateway.gateway.clients.policies.query.state, "closed");
    assert.equal((await gql(sys.url, STATS)).errors, undefined, "other reads still work");
  } finally {
    await sys.stop();
  }
});

Deno.test("a consistency wait that times out is the 'not caught up' error and never opens the circuit", async () => {
  const sys = await startWithoutProjector();
  try {
    const token = await sys.write();
    for (let i = 0; i < 6; i++) {
      const res = await gql(sys.url, STATS, {}, { "x-consistency-token": token });
      const error = res.errors?.[0];
      assert.equal(error?.extensions?.code, "UNAVAILABLE", JSON.stringify(res));
      assert.match(error!.message, /read model has not caught up/);
      assert.equal(error!.extensions!.consistencyToken, token);
    }
    assert.equal(sys.gateway.gateway.clients.policies.query.state, "closed");
    assert.equal((await gql(sys.url, STATS)).errors, undefined, "other reads still work");
    assert.equal((await sys.health()).code, 200);
  } finally {
    await sys.stop();
  }
});

Deno.test("/health answers 503 degraded while a circuit is open, and the circuit closes when the service is back", async () => {
  const sys = await startWithoutProjector();
  try {
    assert.equal((await sys.health()).body.status, "ok");
    // The query service answers its health checks but the circuit is open.
    const policy = sys.gateway.gateway.clients.policies.query;
    const outage = new UnavailableError("down", { grpcCode: "DEADLINE_EXCEEDED" });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(policy.execute(() => Promise.reject(outage), false));
    }
    const open = await sys.health();
    assert.equal(open.code, 503);
    assert.equal(open.body.status, "degraded");
    assert.equal(open.body.dependencies.query!.circuit, "open");

    // A crash and a restart: reads work again long before the 10-minute half-open delay.
    await sys.stopQuery();
    assert.equal((await sys.health()).code, 503);
    await sys.startQuery();
    await until(
      async () => (await gql(sys.url, STATS)).errors === undefined,
      "reads work again once the query service is back",
    );
    assert.equal(policy.state, "closed");
    assert.equal((await sys.health()).code, 200);
  } finally {
    await sys.stop();
  }
});

Deno.test("/health answers 503 degraded while the query service cannot reach its database", async () => {
  const sys = await startWithoutProjector({
    queryReadModelUrl: `postgres://postgres@127.0.0.1:${freePort()}/nowhere`,
  });
  try {
    await until(async () => (await sys.health()).code === 503, "/health turned 503");
    const health = await sys.health();
    assert.equal(health.body.status, "degraded");
    assert.equal(health.body.dependencies.query!.status, "NOT_SERVING");
    // What a liveness probe asks: the process is alive, so nothing restarts it.
    const address = `127.0.0.1:${sys.queryPort}`;
    assert.equal(await checkHealth(address, 2000), "NOT_SERVING");
    assert.equal(await checkHealth(address, 2000, LIVENESS_SERVICE), "SERVING");
    // And the gateway's own liveness endpoint answers while its /health says degraded.
    const live = await fetch(`${sys.url}/livez`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "alive" });
  } finally {
    await sys.stop();
  }
});
