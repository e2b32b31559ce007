/**
 * Replicas are there so that losing one costs nobody anything. With two
 * command and two query replicas behind one gateway, under a steady load of
 * writes and reads, one replica of each is killed (SIGKILL) or frozen
 * (SIGSTOP): the calls in flight on it are retried on the other, no client
 * sees an error, and the gateway keeps its circuits closed and reports
 * itself healthy.
 */
import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { waitFor } from "@shared/testing/e2e/observability_spans.ts";
import { startTestSystem, type TestSystem, warningsOf } from "@shared/testing/system.ts";
import type { ProcessName } from "@shared/runtime/system.ts";

/** Clients sending at once: enough that several calls are in flight on the lost replica. */
const WRITERS = 12;
const READERS = 8;

interface Health {
  status: string;
  dependencies: Record<"command" | "query", { status: string; circuit: string }>;
}

/**
 * Starts two replicas of each service, runs the load through one gateway
 * (so that its circuits see every call the faults break), applies `fault`
 * to replica 0 of the command service and then of the query service, each
 * followed by `afterMs` of load, and asserts what a client relies on.
 */
async function underLoad(
  fault: (system: TestSystem, replica: "command" | "query") => Promise<void>,
  afterMs: number,
): Promise<void> {
  const system = await startTestSystem({
    CACHE_ENABLED: "false",
  }, { replicas: 2 });
  const url = system.gatewayUrls[0]!;
  const staff = await bearer("staff-1", ["staff"]);
  const failures: string[] = [];
  let answered = 0;
  let stop = false;
  // For a failure message: which fault came last, and when.
  let lastFault = { replica: "none", at: Date.now() };
  const since = () => `${lastFault.replica} fault +${Date.now() - lastFault.at} ms`;
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
          failures.push(`${since()}: ${e.extensions?.code}: ${e.message}`);
        } else answered++;
      } catch (err) {
        failures.push(`${since()}: ${err}`);
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

    const healthAfterFault: Health[] = [];
    const answeredAt: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 1000));
      for (const replica of ["command", "query"] as const) {
        answeredAt.push(answered);
        lastFault = { replica, at: Date.now() };
        await fault(system, replica);
        await new Promise((r) => setTimeout(r, afterMs));
        const res = await fetch(`${url}/health`);
        healthAfterFault.push(await res.json() as Health);
      }
      answeredAt.push(answered);
    } finally {
      stop = true;
      await load;
    }

    assert.deepEqual(
      failures,
      [],
      `no client saw an error${warningsOf(system, ["gateway", "command", "query"])}`,
    );
    // The load went on through both faults.
    assert.ok(answeredAt[1]! > answeredAt[0]!, `answers after the command fault: ${answeredAt}`);
    assert.ok(answeredAt[2]! > answeredAt[1]!, `answers after the query fault: ${answeredAt}`);
    for (const health of healthAfterFault) {
      assert.equal(health.status, "ok", JSON.stringify(health));
      assert.equal(health.dependencies.command.circuit, "closed");
      assert.equal(health.dependencies.query.circuit, "closed");
    }
  } finally {
    stop = true;
    for (const replica of ["command", "query"] as const) {
      // A frozen replica must run again to stop.
      try {
        Deno.kill(system.pids[replica], "SIGCONT");
      } catch { /* killed */ }
    }
    await system.stop();
  }
}

Deno.test("killing one of two command replicas and one of two query replicas fails no call and opens no circuit", async () => {
  await underLoad(async (system, replica) => void await system.kill(replica, "SIGKILL"), 1500);
});

Deno.test("freezing one of two command replicas and one of two query replicas fails no call and opens no circuit", async () => {
  // A frozen process keeps its connections open but answers nothing: its calls are
  // abandoned once it answers no keepalive ping, within 2.5 s, and retried on the other.
  await underLoad((system, replica) => {
    Deno.kill(system.pids[replica], "SIGSTOP");
    return Promise.resolve();
  }, 4000);
});

Deno.test("freezing the projector that owns the projections hands them to the other: writes are read again within 15 s", async () => {
  const system = await startTestSystem({ CACHE_ENABLED: "false" }, { replicas: 2 });
  const url = system.gatewayUrl;
  const staff = await bearer("staff-1", ["staff"]);
  const create = async (name: string) =>
    (await gql<{ createCategory: { id: string } }>(
      url,
      `mutation ($name: String!) { createCategory(input: {name: $name}) { id } }`,
      { name },
      staff,
    )).data!.createCategory.id;
  const readable = async (id: string) =>
    (await gql<{ category: { id: string } | null }>(
      url,
      `query ($id: ID!) { category(id: $id) { id } }`,
      { id },
      staff,
    )).data?.category?.id === id;
  /** Waits until `id` is read, or fails naming `what` and the projectors' warnings; the ms it took. */
  const readWithin = async (id: string, timeoutMs: number, what: string): Promise<number> => {
    const since = Date.now();
    await waitFor(async () => (await readable(id)) || undefined, what, timeoutMs)
      .catch((err: Error) =>
        assert.fail(`${err.message}${warningsOf(system, ["projector", "projector.1"])}`)
      );
    return Date.now() - since;
  };
  let frozen: number | undefined;
  try {
    // The projectors have caught up and sit idle between lease checks: what is frozen is an
    // owner with no batch open (one frozen inside a batch keeps its lease for the 30 s of
    // idle_in_transaction_session_timeout instead, see leaseSessionTimeouts).
    await readWithin(await create("Written before the freeze"), 10_000, "the first write read");
    await new Promise((r) => setTimeout(r, 500));
    // The owner of the categories projection, by its own /health.
    const replicas = [system.ports, ...system.replicaPorts];
    const owner = (await Promise.all(replicas.map(async (ports) => {
      const res = await fetch(`http://127.0.0.1:${ports.projector}/health`);
      const body = await res.json() as { projections?: Record<string, { ownedHere: boolean }> };
      return body.projections?.categories?.ownedHere === true;
    }))).indexOf(true);
    assert.ok(owner >= 0, "one projector owns the categories projection");
    const name: ProcessName = owner === 0 ? "projector" : `projector.${owner}`;
    const pid = system.pids[name];
    assert.ok(pid, `projector replica ${owner} has a process`);
    frozen = pid;
    Deno.kill(pid, "SIGSTOP");

    // The frozen owner keeps its connections, and with them its lease, until the server
    // ends its idle lease session (10 s); the other projector takes the lease within 1 s.
    const id = await create("Written while the owner is frozen");
    const waited = await readWithin(id, 15_000, "the write made while the owner is frozen read");
    console.log(`read ${waited} ms after the write, the owner frozen`);

    // Thawed, the old owner finds its session ended and stands by; nothing restarts it,
    // and writes are still read.
    Deno.kill(pid, "SIGCONT");
    frozen = undefined;
    await new Promise((r) => setTimeout(r, 2000));
    await readWithin(await create("Written after the thaw"), 5000, "a write after the thaw read");
    assert.equal(system.restarts[name], 0, "the thawed projector was not restarted");
  } finally {
    if (frozen !== undefined) {
      try {
        Deno.kill(frozen, "SIGCONT");
      } catch { /* exited */ }
    }
    await system.stop();
  }
});
