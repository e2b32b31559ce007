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
import { assertGrpcServicesStoppedFirst, catalogueTraffic } from "@shared/testing/stopping.ts";
import { startTestSystem } from "@shared/testing/system.ts";

Deno.test("stopping the system stops the gRPC services before their clients, and every process exits cleanly", async () => {
  const system = await startTestSystem({ LOG_LEVEL: "info" });
  let closed = false;
  try {
    await catalogueTraffic(system.gatewayUrl, 200);

    const statuses = await system.stop();
    closed = true;
    for (const [process, status] of Object.entries(statuses)) {
      assert.ok(status.success, `${process} exited with ${exitDescription(status)}`);
    }
    // Each process logs "stopping" when its signal comes, and "stopped" right before it exits.
    assertGrpcServicesStoppedFirst(
      (["command", "query", "gateway", "saga"] as const).flatMap((p) => system.logs(p)),
    );
  } finally {
    if (!closed) await system.stop();
    await system.db.drop();
  }
});
