import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { devEnv, freeSystemPorts, type RunningDev, startDev } from "@shared/testing/ports.ts";
import { assertGrpcServicesStoppedFirst, catalogueTraffic } from "@shared/testing/stopping.ts";

/** Starts `deno task dev` and resolves once it prints the GraphQL URL. */
const startDevTask = (env: Record<string, string>) =>
  startDev({ ...env, LOG_LEVEL: "warn" }, { viaTask: true });

async function portClosed(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch {
    return true;
  }
}

/** The `ps` lines (pid, parent, state, age, command) of the postgres processes of `dataDir`. */
function postgresOf(dataDir: string): string[] {
  const out = new Deno.Command("ps", {
    args: ["-eo", "pid=,ppid=,stat=,etime=,args="],
    stdout: "piped",
  })
    .outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l.includes("postgres") && l.includes(dataDir)
  );
}

/**
 * Waits, up to 5 s, until no postgres process of `dataDir` is left, and
 * returns those that are: the postmaster has exited when dev does, but on a
 * busy machine `ps` can still list a server process on its way out.
 */
async function postgresLeft(dataDir: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = postgresOf(dataDir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The failure message when a postgres outlives dev: what is left, and what dev printed. */
const left = (processes: string[], lines: readonly string[]) =>
  `postgres left running:\n${processes.join("\n")}\ndev printed:\n${lines.join("\n")}`;

/** Stops `dev` with `signal`: it exits with 0 and leaves no postgres of `dataDir` running. */
async function assertStopsCleanly(
  dev: RunningDev,
  dataDir: string,
  signal: Deno.Signal,
): Promise<void> {
  dev.process.kill(signal);
  assert.equal((await dev.process.status).code, 0);
  const postgres = await postgresLeft(dataDir);
  assert.deepEqual(postgres, [], left(postgres, dev.lines));
}

/** After a failed assertion, stops what is still running (dev stops its children). */
async function stopStarted(started: Deno.ChildProcess[]): Promise<void> {
  for (const process of started) {
    try {
      process.kill("SIGTERM");
    } catch { /* already exited */ }
    await process.status;
  }
}

Deno.test("deno task dev runs everything on an embedded PostgreSQL, stops cleanly and keeps its data", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-dev-test-" });
  const ports = freeSystemPorts();
  const env = devEnv(ports, dataDir);
  const url = `http://127.0.0.1:${ports.gateway}`;
  const started: Deno.ChildProcess[] = [];
  try {
    const first = await startDevTask(env);
    started.push(first.process);
    assert.ok(first.lines.some((l) => l.includes("embedded PostgreSQL")));
    const created = await gql<{ createCategory: { id: string } }>(
      url,
      `mutation { createCategory(input: {name: "Kept"}) { id } }`,
      {},
      await bearer("clerk", ["staff"]),
    );
    assert.equal(created.errors, undefined);
    first.process.kill("SIGTERM");
    assert.equal((await first.process.status).code, 0);
    for (const port of Object.values(ports)) {
      assert.ok(await portClosed(port), `port ${port} closed`);
    }
    const firstLeft = await postgresLeft(dataDir);
    assert.deepEqual(firstLeft, [], left(firstLeft, first.lines));

    const second = await startDevTask(env);
    started.push(second.process);
    const read = await gql<{ categories: { id: string; name: string }[] }>(
      url,
      `{ categories { id name } }`,
    );
    assert.deepEqual(read.data?.categories, [{
      id: created.data!.createCategory.id,
      name: "Kept",
    }]);

    // A second dev on the same data directory says why it cannot start, in one line.
    const clash = await new Deno.Command(Deno.execPath(), {
      args: ["task", "dev"],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { ...env, LOG_LEVEL: "warn" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(clash.stderr);
    assert.equal(clash.code, 1, stderr);
    assert.match(stderr, /\[dev\] The data directory .* is in use by another PostgreSQL server/);
    assert.match(stderr, /DEV_DATA_DIR/);
    assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
    await assertStopsCleanly(second, dataDir, "SIGINT");
  } finally {
    await stopStarted(started);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("Ctrl-C stops the gRPC services before their clients, and every service exits cleanly", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-dev-ctrl-c-" });
  const ports = freeSystemPorts();
  const dev = await startDev({ ...devEnv(ports, dataDir), LOG_LEVEL: "info" }, {
    viaTask: true,
    session: true,
    stderr: "piped",
  });
  let exited = false;
  try {
    await catalogueTraffic(`http://127.0.0.1:${ports.gateway}`, 50);
    const before = dev.errors.length;
    // What a terminal sends on Ctrl-C: SIGINT to every process of its foreground group.
    Deno.kill(-dev.process.pid, "SIGINT");
    assert.equal((await dev.process.status).code, 0);
    exited = true;
    assert.doesNotMatch(dev.lines.join("\n"), /exited with .* while stopping/);
    // The embedded PostgreSQL, in a session of its own, is stopped last, by dev: no service
    // lost its database while stopping, so none warned of anything.
    assert.deepEqual(dev.errors.slice(before), [], "warnings and errors while stopping");
    // Each service logs "stopping" when its signal comes and "stopped" right before it exits.
    assertGrpcServicesStoppedFirst(dev.lines);
    const postgres = await postgresLeft(dataDir);
    assert.deepEqual(postgres, [], left(postgres, dev.lines));
  } finally {
    if (!exited) {
      dev.process.kill("SIGTERM");
      await dev.process.status;
    }
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** The pid of the postmaster that serves `dataDir`, from `ps`. */
const postmasterOf = (dataDir: string): number | undefined => {
  const line = postgresOf(dataDir)[0];
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0]);
};

Deno.test("after dev is killed with SIGKILL, its services stop by themselves and the next dev takes over its data", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-dev-killed-" });
  const ports = freeSystemPorts();
  const env = { ...devEnv(ports, dataDir), LOG_LEVEL: "warn" };
  const url = `http://127.0.0.1:${ports.gateway}`;
  const started: Deno.ChildProcess[] = [];
  try {
    const first = await startDev(env);
    started.push(first.process);
    const created = await gql<{ createCategory: { id: string } }>(
      url,
      `mutation { createCategory(input: {name: "Outlived"}) { id } }`,
      {},
      await bearer("clerk", ["staff"]),
    );
    assert.equal(created.errors, undefined);
    const stray = postmasterOf(dataDir);
    assert.ok(stray, "the embedded postmaster runs");

    // SIGKILL: dev stops nothing. Its services see it gone and stop within seconds.
    first.process.kill("SIGKILL");
    await first.process.status;
    const deadline = Date.now() + 15_000;
    for (const port of Object.values(ports)) {
      while (!(await portClosed(port))) {
        assert.ok(Date.now() < deadline, `port ${port} still open 15 s after dev was killed`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // The embedded server has no such watch: it is still running, adopted by init.
    assert.equal(postmasterOf(dataDir), stray);

    const second = await startDev(env);
    started.push(second.process);
    assert.ok(
      second.lines.some((l) => l.includes(`(pid ${stray}) was left running`)),
      second.lines.join("\n"),
    );
    const read = await gql<{ categories: { name: string }[] }>(url, `{ categories { name } }`);
    assert.deepEqual(read.data?.categories, [{ name: "Outlived" }]);
    await assertStopsCleanly(second, dataDir, "SIGTERM");
  } finally {
    await stopStarted(started);
    const orphan = postmasterOf(dataDir);
    if (orphan) Deno.kill(orphan, "SIGINT");
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a stop while dev restarts its embedded PostgreSQL leaves no postgres behind", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-dev-restart-" });
  const dev = await startDev({ ...devEnv(freeSystemPorts(), dataDir), LOG_LEVEL: "warn" });
  try {
    const pid = postmasterOf(dataDir);
    assert.ok(pid, "the embedded postmaster runs");
    Deno.kill(pid, "SIGKILL");
    const deadline = Date.now() + 10_000;
    let delay: number | undefined;
    while (delay === undefined) {
      const line = dev.lines.find((l) => l.includes(`(pid ${pid}) exited; restarting in`));
      delay = line ? Number(/restarting in (\d+) ms/.exec(line)?.[1]) : undefined;
      assert.ok(Date.now() < deadline, `dev did not see the crash:\n${dev.lines.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Stop once dev is starting the new server, before it is ready (dev's old shutdown
    // exited meanwhile and left that server running).
    await new Promise((resolve) => setTimeout(resolve, delay + 20));
    dev.process.kill("SIGTERM");
    assert.equal((await dev.process.status).code, 0);
    const devLeft = await postgresLeft(dataDir);
    assert.deepEqual(devLeft, [], left(devLeft, dev.lines));
  } finally {
    try {
      dev.process.kill("SIGTERM");
    } catch { /* already exited */ }
    await dev.process.status;
    // With the fault this test is about, the new server outlives dev: stop it here.
    const orphan = postmasterOf(dataDir);
    if (orphan) Deno.kill(orphan, "SIGINT");
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
