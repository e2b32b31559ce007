import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { devEnv, freeSystemPorts, startDev } from "@shared/testing/ports.ts";

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

function postgresRunningIn(dataDir: string): boolean {
  const out = new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").some((l) =>
    l.includes("postgres") && l.includes(dataDir)
  );
}

/**
 * Whether no postgres process of `dataDir` is left, within 5 s: the
 * postmaster has exited when dev does, but on a busy machine `ps` can
 * still list a server process that is on its way out.
 */
async function postgresGone(dataDir: string): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (postgresRunningIn(dataDir)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
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
    assert.equal(await postgresGone(dataDir), true, "no postgres left running");

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
    second.process.kill("SIGINT");
    assert.equal((await second.process.status).code, 0);
    assert.equal(await postgresGone(dataDir), true, "no postgres left running");
  } finally {
    // After a failed assertion, stop what is still running (dev stops its children).
    for (const process of started) {
      try {
        process.kill("SIGTERM");
      } catch { /* already exited */ }
      await process.status;
    }
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
