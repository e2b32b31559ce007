/**
 * Replicas are there so that losing one costs nobody anything. With two
 * command and two query replicas behind one gateway, under a steady load of
 * writes and reads, one replica of each is killed with SIGKILL: the calls
 * in flight on it are retried on the other, no client sees an error, and
 * the gateway keeps its circuits closed and reports itself healthy.
 */
import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

/** Clients sending at once: enough that several calls are in flight on the killed replica. */
const WRITERS = 12;
const READERS = 8;
/** How long the load runs after each kill. */
const AFTER_KILL_MS = 1500;

interface Health {
  status: string;
  dependencies: Record<"command" | "query", { status: string; circuit: string }>;
}

Deno.test("killing one of two command replicas and one of two query replicas fails no call and opens no circuit", async () => {
  const system = await startTestSystem({
    CACHE_ENABLED: "false",
  }, { replicas: 2 });
  // One gateway takes every request, so its circuits see every call the kills break.
  const url = system.gatewayUrls[0]!;
  const staff = await bearer("staff-1", ["staff"]);
  const failures: string[] = [];
  let answered = 0;
  let stop = false;
  try {
    const created = await gql<{ createCategory: { id: string } }>(
      url,
      `mutation { createCategory(input: {name: "Replica loss"}) { id } }`,
      {},
      staff,
    );
    const category = created.data!.createCategory.id;
    const product = (await gql<{ createProduct: { id: string } }>(
      url,
      `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
      { i: { name: "Read often", price: "1.00", categoryId: category } },
      staff,
    )).data!.createProduct.id;

    const send = async (query: string, variables: Record<string, unknown>) => {
      try {
        const res = await gql(url, query, variables, staff);
        if (res.errors?.length) {
          const e = res.errors[0]!;
          failures.push(`${e.extensions?.code}: ${e.message}`);
        } else answered++;
      } catch (err) {
        failures.push(String(err));
      }
    };
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        await send(`mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`, {
          i: { name: `Product ${w}.${n}`, price: "2.50", categoryId: category },
        });
      }
    };
    const reader = async () => {
      while (!stop) {
        await send(`query ($id: ID!) { product(id: $id) { id name } }`, { id: product });
      }
    };
    const load = Promise.all([
      ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
      ...Array.from({ length: READERS }, reader),
    ]);

    const healthAfterKill: Health[] = [];
    const answeredAt: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 1000));
      for (const replica of ["command", "query"] as const) {
        answeredAt.push(answered);
        await system.kill(replica, "SIGKILL");
        await new Promise((r) => setTimeout(r, AFTER_KILL_MS));
        const res = await fetch(`${url}/health`);
        healthAfterKill.push(await res.json() as Health);
      }
      answeredAt.push(answered);
    } finally {
      stop = true;
      await load;
    }

    assert.deepEqual(failures, [], "no client saw an error");
    // The load went on through both kills.
    assert.ok(answeredAt[1]! > answeredAt[0]!, `answers after the command kill: ${answeredAt}`);
    assert.ok(answeredAt[2]! > answeredAt[1]!, `answers after the query kill: ${answeredAt}`);
    for (const health of healthAfterKill) {
      assert.equal(health.status, "ok", JSON.stringify(health));
      assert.equal(health.dependencies.command.circuit, "closed");
      assert.equal(health.dependencies.query.circuit, "closed");
    }
  } finally {
    stop = true;
    await system.stop();
  }
});
