import assert from "node:assert/strict";
import postgres from "postgres";
import { devEnv, freeSystemPorts, type RunningDev, startDev } from "@shared/testing/ports.ts";
import { bearer } from "@shared/testing/auth.ts";

// The whole system as `deno task dev` runs it (embedded PostgreSQL, five
// service processes, the supervisor), under a bounded write load through the
// gateway. Each service and then PostgreSQL is killed with SIGKILL, and
// PostgreSQL is frozen with SIGSTOP for 10 s; nothing is restarted by hand.
//
// What is asserted, per write the client sent (each with its own id and
// Idempotency-Key, retried with both while the answer is ambiguous:
// UNAVAILABLE or no answer at all):
// - an acknowledged write is in the event store exactly once;
// - a write answered with a definite failure (any other code) is not in the
//   store: the client was told it failed, so it must not have happened;
// - a write whose retries ran out while still ambiguous may or may not be in
//   the store (at most once); those are counted and printed;
// - after each fault, once every process is healthy again, a write and a read
//   at its consistency token succeed within 5 s.

const TARGETS = ["command", "query", "projector", "saga", "gateway", "postgres"] as const;
type Target = typeof TARGETS[number];
const WORKERS = 2;
const WRITE_RETRY_MS = 30_000;
const RECOVERY_LIMIT_MS = 5000;

/** The pid of a target among the children of the dev process. */
function findPid(devPid: number, target: Target, dataDir: string): number | undefined {
  const out = new Deno.Command("ps", { args: ["-eo", "pid=,ppid=,args="], stdout: "piped" })
    .outputSync();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match || Number(match[2]) !== devPid) continue;
    const args = match[3]!;
    const hit = target === "postgres"
      ? args.includes(dataDir)
      : args.includes(`services/${target}/main.ts`);
    if (hit) return Number(match[1]);
  }
  return undefined;
}

/** What `query` finds on the test's PostgreSQL at `port`, as JSON (or the error), for a failure message. */
async function onServer(
  port: number,
  query: (sql: postgres.Sql) => Promise<unknown>,
): Promise<string> {
  const sql = postgres(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  try {
    return JSON.stringify(await query(sql));
  } catch (err) {
    return String(err);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The projector's sessions on the server now: whether its lease session came back. */
const projectorSessions = (port: number) =>
  onServer(port, (sql) =>
    sql`
      SELECT datname, application_name, state, wait_event,
        round(extract(epoch FROM now() - backend_start)::numeric, 1)::float AS age,
        left(query, 80) AS query
      FROM pg_stat_activity WHERE application_name LIKE '%projector%'`);

/** The transactions open for over a second on the server. */
const openTransactions = (port: number) =>
  onServer(port, (sql) =>
    sql`
      SELECT datname, application_name, state, backend_xid::text AS xid,
        round(extract(epoch FROM now() - xact_start)::numeric, 1)::float AS seconds,
        left(query, 120) AS query
      FROM pg_stat_activity
      WHERE xact_start < now() - interval '1 second' AND pid <> pg_backend_pid()`);

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

type Answer = { ok: true; data: Record<string, unknown> } | { ok: false; code: string };

async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  try {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: {
      data?: Record<string, unknown> | null;
      errors?: { extensions?: { code?: string } }[];
      extensions?: Record<string, unknown>;
    };
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, code: `HTTP_${res.status}` };
    }
    if (body.errors?.length) return { ok: false, code: body.errors[0]?.extensions?.code ?? "?" };
    return { ok: true, data: { ...body.data, token: body.extensions?.consistencyToken } };
  } catch {
    return { ok: false, code: "NO_ANSWER" };
  }
}

const ambiguous = (code: string) =>
  code === "UNAVAILABLE" || code === "NO_ANSWER" || code.startsWith("HTTP_5");

interface Write {
  id: string;
  kind: "product" | "order";
  acknowledged: boolean;
  lastCode?: string;
  attempts: number;
}

const CREATE_PRODUCT =
  `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const CREATE_ORDER = `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;

/** Staff keep the catalogue and may order for any customer (a token lives an hour). */
const STAFF = await bearer("clerk", ["staff"]);

/** Sends one write, retrying with the same id and key while the answer is ambiguous. */
async function write(url: string, w: Write, input: Record<string, unknown>): Promise<string> {
  const key = crypto.randomUUID();
  const until = Date.now() + WRITE_RETRY_MS;
  for (;;) {
    w.attempts++;
    const answer = await post(url, w.kind === "product" ? CREATE_PRODUCT : CREATE_ORDER, {
      input: { id: w.id, ...input },
    }, { "idempotency-key": key, ...STAFF });
    if (answer.ok) {
      w.acknowledged = true;
      return String(answer.data.token);
    }
    w.lastCode = answer.code;
    if (!ambiguous(answer.code) || Date.now() > until) return "";
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("fault injection: the supervisor brings every process back, and no acknowledged write is lost or doubled", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-fault-test-" });
  const ports = freeSystemPorts();
  const env: Record<string, string> = {
    ...devEnv(ports, dataDir),
    LOG_LEVEL: "warn",
    // A first write after the database restarts can wait on a connection the old server
    // dropped; a shorter deadline lets the client retry it (same key) within the bound.
    GRPC_COMMAND_DEADLINE_MS: "2000",
  };
  const url = `http://127.0.0.1:${ports.gateway}`;
  let dev: RunningDev | undefined;
  let store: postgres.Sql | undefined;
  const writes: Write[] = [];
  const recoveries: Record<string, { healthyMs: number; workingMs: number }> = {};
  let loading = true;
  const workers: Promise<void>[] = [];
  try {
    // The services' warnings and errors are kept: a recovery that fails prints some of them.
    dev = await startDev(env, { stderr: "piped" });
    const devPid = dev.process.pid;
    const pgPort = Number(/embedded PostgreSQL on port (\d+)/.exec(dev.lines.join("\n"))?.[1]);
    assert.ok(pgPort > 0, "dev printed the embedded PostgreSQL port");

    const category = await post(
      url,
      `mutation { createCategory(input: {name: "Faults"}) { id } }`,
      {},
      STAFF,
    );
    assert.ok(category.ok, JSON.stringify(category));
    const categoryId = String((category.data.createCategory as { id: string }).id);
    const products: string[] = [];
    const productInput = (i: number) => ({ name: `P${i}`, price: "9.99", categoryId });
    const seed: Write = {
      id: crypto.randomUUID(),
      kind: "product",
      acknowledged: false,
      attempts: 0,
    };
    writes.push(seed);
    await write(url, seed, productInput(0));
    assert.ok(seed.acknowledged);
    products.push(seed.id);

    let n = 0;
    for (let worker = 0; worker < WORKERS; worker++) {
      workers.push((async () => {
        while (loading) {
          const i = ++n;
          const kind = i % 2 === 0 ? "order" : "product";
          const w: Write = { id: crypto.randomUUID(), kind, acknowledged: false, attempts: 0 };
          writes.push(w);
          if (kind === "product") {
            await write(url, w, productInput(i));
            if (w.acknowledged) products.push(w.id);
          } else {
            await write(url, w, {
              customerId: crypto.randomUUID(),
              items: [{ productId: products[i % products.length]!, quantity: 1 }],
              shippingAddress: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
            });
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })());
    }

    /** Healthy means every one of these answers 200. */
    const healthUrls = [
      `${url}/health`,
      `http://127.0.0.1:${ports.projector}/health`,
      `http://127.0.0.1:${ports.saga}/health`,
    ];
    const allHealthy = async () => (await Promise.all(healthUrls.map(ok))).every(Boolean);

    /** The last 30 warnings and errors of some services, oldest first. */
    const serviceWarnings = (services: string[]) =>
      dev!.errors.filter((l) => services.some((s) => l.includes(`"service":"${s}"`))).slice(-30);

    /** Waits for the target to run again and the system to be healthy, then for a write and a read. */
    const recover = async (target: Target, oldPid: number | undefined, label: string) => {
      const started = Date.now();
      for (;;) {
        const pid = findPid(devPid, target, dataDir);
        if (pid !== undefined && pid !== oldPid && (await allHealthy())) break;
        if (target === "postgres" && label.startsWith("SIGSTOP") && await allHealthy()) break;
        if (Date.now() - started > 60_000) {
          const bodies = await Promise.all(
            healthUrls.map((health) =>
              fetch(health, { signal: AbortSignal.timeout(2000) })
                .then(async (res) => `${health}: ${res.status} ${await res.text()}`)
                .catch((err) => `${health}: ${err}`)
            ),
          );
          assert.fail(
            `${label}: not healthy again within 60 s (${target} pid ${pid ?? "none"})\n` +
              `${bodies.join("\n")}\ndev printed:\n${dev!.lines.slice(-15).join("\n")}\n` +
              `the services' last warnings and errors:\n${
                serviceWarnings(["command", "query", "projector", "saga", "gateway"]).join("\n")
              }`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const healthyAt = Date.now();
      const probe: Write = {
        id: crypto.randomUUID(),
        kind: "product",
        acknowledged: false,
        attempts: 0,
      };
      writes.push(probe);
      const token = await write(url, probe, productInput(-1));
      const wroteMs = Date.now() - healthyAt;
      assert.ok(probe.acknowledged, `${label}: a write after recovery (${probe.lastCode})`);
      let read: Answer;
      const readCodes: string[] = [];
      do {
        if (readCodes.length) await new Promise((r) => setTimeout(r, 50));
        read = await post(url, `query ($id: ID!) { product(id: $id) { id } }`, { id: probe.id }, {
          "x-consistency-token": token,
        });
        if (!read.ok) readCodes.push(read.code);
      } while (!read.ok && Date.now() - healthyAt < RECOVERY_LIMIT_MS * 2);
      if (!read.ok) {
        // What the projector says of itself, for a failure that is hard to reproduce.
        const projector = await fetch(`http://127.0.0.1:${ports.projector}/health`)
          .then((res) => res.text()).catch((err) => String(err));
        // Open transactions hold back what gap-safe readers may read.
        const open = await openTransactions(pgPort);
        const sessions = await projectorSessions(pgPort);
        // The projector writes the checkpoints; the query service waits until it sees them.
        const logged = serviceWarnings(["projector", "query"]);
        assert.fail(
          `${label}: a read after recovery (${read.code}; ${readCodes.length} reads; ` +
            `the write took ${wroteMs} ms; its token ${token}); projector /health: ${projector}; ` +
            `transactions open over 1 s: ${open}; the projector's sessions: ${sessions}; ` +
            `the projector's and the query service's last ` +
            `warnings and errors:\n` +
            logged.join("\n"),
        );
      }
      recoveries[label] = { healthyMs: healthyAt - started, workingMs: Date.now() - healthyAt };
      assert.ok(
        Date.now() - healthyAt < RECOVERY_LIMIT_MS,
        `${label}: writes and reads worked ${
          Date.now() - healthyAt
        } ms after healthy (write ${wroteMs} ms in ${probe.attempts} attempts, last ${probe.lastCode}; reads failed ${
          readCodes.join(",")
        })\n${dev!.lines.slice(-15).join("\n")}\nthe services' last warnings and errors:\n${
          serviceWarnings(["command", "projector", "query", "gateway"]).join("\n")
        }`,
      );
      products.push(probe.id);
    };

    for (const target of TARGETS) {
      await new Promise((r) => setTimeout(r, 1000));
      const pid = findPid(devPid, target, dataDir);
      assert.ok(pid, `found the ${target} process`);
      Deno.kill(pid, "SIGKILL");
      await recover(target, pid, `SIGKILL ${target}`);
    }
    const pgPid = findPid(devPid, "postgres", dataDir)!;
    Deno.kill(pgPid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, 10_000));
    Deno.kill(pgPid, "SIGCONT");
    await recover("postgres", pgPid, "SIGSTOP postgres 10 s");

    loading = false;
    await Promise.all(workers);

    store = postgres(`postgres://postgres:postgres@127.0.0.1:${pgPort}/event_store`, {
      max: 1,
      onnotice: () => {},
    });
    const rows = await store<{ id: string; n: number }[]>`
      SELECT aggregate_id::text AS id, count(*)::int AS n FROM events
      WHERE event_type IN ('ProductCreated', 'OrderCreated') GROUP BY aggregate_id`;
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    const acknowledged = writes.filter((w) => w.acknowledged);
    const definite = writes.filter((w) => !w.acknowledged && !ambiguous(w.lastCode ?? ""));
    const unresolved = writes.filter((w) => !w.acknowledged && ambiguous(w.lastCode ?? ""));
    const counts = {
      sent: writes.length,
      attempts: writes.reduce((sum, w) => sum + w.attempts, 0),
      acknowledged: acknowledged.length,
      acknowledgedOnce: acknowledged.filter((w) => stored.get(w.id) === 1).length,
      definiteFailures: definite.length,
      definiteFailuresCommitted: definite.filter((w) => stored.has(w.id)).length,
      ambiguousUnresolved: unresolved.length,
      ambiguousUnresolvedCommitted: unresolved.filter((w) => stored.has(w.id)).length,
      restartsLogged: dev.lines.filter((l) => /restarting in \d+ ms/.test(l)).length,
    };
    console.log("fault injection counts", JSON.stringify(counts));
    console.log("recovery (ms)", JSON.stringify(recoveries));
    for (const w of definite) console.log(`definite failure: ${w.kind} ${w.id} ${w.lastCode}`);

    assert.equal(counts.acknowledgedOnce, counts.acknowledged, "every acknowledged write, once");
    assert.ok([...stored.values()].every((count) => count === 1), "no write stored twice");
    assert.equal(counts.definiteFailuresCommitted, 0, "no write told it failed was committed");
    assert.ok(counts.restartsLogged >= TARGETS.length, "the supervisor logged each restart");
  } finally {
    loading = false;
    await Promise.allSettled(workers);
    await store?.end();
    if (dev && Deno.env.get("FAULT_TEST_VERBOSE")) {
      console.log([...dev.lines, ...dev.errors].join("\n"));
    }
    if (dev) {
      try {
        dev.process.kill("SIGTERM");
      } catch { /* already exited */ }
      await dev.process.status;
    }
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
