import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort } from "@shared/db/embedded.ts";
import { checkHealth } from "@shared/grpc/client.ts";
import { bearer } from "@shared/testing/auth.ts";
import type { GraphQLResponse } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** `deno task certs --out <dir>`, as an operator runs it. */
async function makeCerts(dir: string): Promise<void> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "scripts/certs.ts", "--out", dir],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
}

// Every service runs as a process, as in production: the gateway serves HTTPS
// only, and the command and query services accept only TLS clients that
// present a certificate signed by the development CA.
Deno.test("the system runs over TLS: HTTPS at the gateway, mutual TLS to the gRPC services", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cqrs-certs-" });
  try {
    await makeCerts(dir);
    const file = (name: string) => `${dir}/${name}`;
    const ca = await Deno.readTextFile(file("ca.crt"));
    const secret = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const metricsPort = freePort();
    const system = await startTestSystem({
      PROJECTOR_POLL_MS: "100",
      GATEWAY_MODE: "production",
      JWT_SECRET: secret,
      GATEWAY_METRICS_PORT: String(metricsPort),
      GATEWAY_TLS_CERT: file("server.crt"),
      GATEWAY_TLS_KEY: file("server.key"),
      GRPC_TLS_CA: file("ca.crt"),
      GRPC_TLS_CERT: file("server.crt"),
      GRPC_TLS_KEY: file("server.key"),
      GRPC_TLS_CLIENT_CERT: file("client.crt"),
      GRPC_TLS_CLIENT_KEY: file("client.key"),
      GRPC_TLS_CLIENT_AUTH: "require",
    });
    const client = Deno.createHttpClient({ caCerts: [ca] });
    const url = system.gatewayUrl;
    const { command, query } = system.ports;
    try {
      await t.step(
        "GraphQL answers over HTTPS, through the command and query services",
        async () => {
          assert.match(url, /^https:\/\//);
          const headers = {
            "content-type": "application/json",
            ...(await bearer("staff-1", ["staff"], secret)),
          };
          const post = async (body: unknown, token?: string) => {
            const res = await fetch(`${url}/graphql`, {
              client,
              method: "POST",
              headers: token ? { ...headers, "x-consistency-token": token } : headers,
              body: JSON.stringify(body),
            });
            return await res.json() as GraphQLResponse<
              Record<string, { id: string; name: string }>
            >;
          };
          const created = await post({
            query: "mutation ($i: CreateCategoryInput!) { createCategory(input: $i) { id name } }",
            variables: { i: { name: "Encrypted", description: "over TLS" } },
          });
          assert.equal(created.errors, undefined, JSON.stringify(created.errors));
          const id = created.data!.createCategory!.id;
          const token = created.extensions?.consistencyToken as string;
          const read = await post({ query: `{ category(id: "${id}") { id name } }` }, token);
          assert.equal(read.errors, undefined, JSON.stringify(read.errors));
          assert.deepEqual(read.data!.category, { id, name: "Encrypted" });
        },
      );

      await t.step("the gateway port speaks no plain HTTP", async () => {
        await assert.rejects(fetch(`http://127.0.0.1:${system.ports.gateway}/health`));
      });

      await t.step("a plaintext gRPC client is refused by the TLS ports", async () => {
        assert.equal(await checkHealth(`127.0.0.1:${command}`), "UNREACHABLE");
        assert.equal(await checkHealth(`127.0.0.1:${query}`), "UNREACHABLE");
      });

      await t.step("under mutual TLS, a client without a certificate is refused", async () => {
        assert.equal(await checkHealth(`127.0.0.1:${command}`, 2000, "", { ca }), "UNREACHABLE");
        assert.equal(await checkHealth(`127.0.0.1:${query}`, 2000, "", { ca }), "UNREACHABLE");
        const withCert = {
          ca,
          cert: await Deno.readTextFile(file("client.crt")),
          key: await Deno.readTextFile(file("client.key")),
        };
        assert.equal(await checkHealth(`127.0.0.1:${command}`, 2000, "", withCert), "SERVING");
        assert.equal(await checkHealth(`localhost:${query}`, 2000, "", withCert), "SERVING");
      });

      await t.step("production /health names no internal address", async () => {
        // The probes above close their connections right after a call, which can abort a
        // gRPC service (docs/operations.md, "A known runtime fault"); the supervisor starts
        // it again, and /health answers 503 until it is back. Neither answer names an address.
        const deadline = Date.now() + 15_000;
        for (;;) {
          const res = await fetch(`${url}/health`, { client });
          const text = await res.text();
          assert.ok(!text.includes("address"), text);
          assert.ok(!text.includes(String(command)) && !text.includes(String(query)), text);
          if (res.status === 200 || Date.now() > deadline) {
            assert.equal(res.status, 200, text);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });

      await t.step("production serves /metrics on the metrics port only", async () => {
        const onGraphqlPort = await fetch(`${url}/metrics`, { client });
        await onGraphqlPort.body?.cancel();
        assert.notEqual(onGraphqlPort.status, 200);
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.match(text, /^# HELP /m);
      });
    } finally {
      client.close();
      await system.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
