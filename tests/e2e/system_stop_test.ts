/**
 * Stopping the whole system, as `deno task dev` does on SIGTERM and the tests
 * and benchmarks do: the gRPC services stop before their clients. A client
 * that closes its connections first (the gateway, the saga worker) can abort
 * a gRPC service in Deno's `node:http2` (docs/operations.md, "A known runtime
 * fault"): before the order, 3 of 10 such stops ended the command service
 * with SIGSEGV or SIGABRT, losing the spans it had not yet exported.
 */
import assert from "node:assert/strict";
import { exitDescription } from "@shared/runtime/system.ts";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

Deno.test("stopping the system stops the gRPC services before their clients, and every process exits cleanly", async () => {
  const system = await startTestSystem({ LOG_LEVEL: "info" });
  let closed = false;
  try {
    const { authorization } = await bearer("clerk", ["staff"]);
    const headers = { authorization };
    const category = await gql<{ createCategory: { id: string } }>(
      system.gatewayUrl,
      `mutation ($name: String!) { createCategory(input: {name: $name}) { id } }`,
      { name: "Stationery" },
      headers,
    );
    assert.equal(category.errors, undefined, JSON.stringify(category.errors));
    const categoryId = category.data!.createCategory.id;
    // Enough calls that the gateway's connections to both services are open and busy.
    for (let i = 0; i < 200; i++) {
      const created = await gql(
        system.gatewayUrl,
        `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { name: `Pen ${i}`, price: "1.00", categoryId } },
        headers,
      );
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    }

    const statuses = await system.stop();
    closed = true;
    for (const [process, status] of Object.entries(statuses)) {
      assert.ok(status.success, `${process} exited with ${exitDescription(status)}`);
    }
    // Each process logs "stopping" when its signal comes, and "stopped" right before it
    // exits: the clients' signal comes once the services' processes have exited.
    const logged = (process: "command" | "query" | "gateway" | "saga", message: string) => {
      const line = system.logs(process).find((l) => l.includes(`"message":"${message}"`));
      assert.ok(line, `${process} logged no "${message}"`);
      return Date.parse(JSON.parse(line).time);
    };
    const services = Math.max(logged("command", "stopped"), logged("query", "stopped"));
    for (const client of ["gateway", "saga"] as const) {
      assert.ok(
        logged(client, "stopping") > services,
        `${client} was stopped before the gRPC services had exited`,
      );
    }
  } finally {
    if (!closed) await system.stop();
    await system.db.drop();
  }
});
