import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { devEnv, freeSystemPorts } from "@shared/testing/ports.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Dev {
  process: Deno.ChildProcess;
  lines: string[];
}

/** Starts `deno task dev` and resolves once it prints the GraphQL URL. */
async function startDev(env: Record<string, string>): Promise<Dev> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["task", "dev"],
    cwd: root,
    env: { ...env, LOG_LEVEL: "warn" },
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!lines.some((l) => l.includes("GraphQL: http"))) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`dev exited before it was ready:\n${lines.join("\n")}`);
    buffer += value;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  }
  // Keep draining so the process never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  })();
  return { process, lines };
}

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

Deno.test("deno task dev runs everything on an embedded PostgreSQL, stops cleanly and keeps its data", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-dev-test-" });
  const ports = freeSystemPorts();
  const env = devEnv(ports, dataDir);
  const url = `http://127.0.0.1:${ports.gateway}`;
  const started: Deno.ChildProcess[] = [];
  try {
    const first = await startDev(env);
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
    assert.equal(postgresRunningIn(dataDir), false, "no postgres left running");

    const second = await startDev(env);
    started.push(second.process);
    const read = await gql<{ categories: { id: string; name: string }[] }>(
      url,
      `{ categories { id name } }`,
    );
    assert.deepEqual(read.data?.categories, [{
      id: created.data!.createCategory.id,
      name: "Kept",
    }]);
    second.process.kill("SIGINT");
    assert.equal((await second.process.status).code, 0);
    assert.equal(postgresRunningIn(dataDir), false, "no postgres left running");
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
