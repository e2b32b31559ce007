import assert from "node:assert/strict";
import { startTestSystem } from "@shared/testing/system.ts";
import { gql } from "@shared/testing/graphql.ts";
import { alive } from "@shared/testing/fuzz/harness.ts";
import { exitDescription, waitHealthy } from "./system.ts";

Deno.test("a service that dies is started again by the supervisor, and the system answers again", async () => {
  const system = await startTestSystem({ CACHE_ENABLED: "false" });
  try {
    const before = system.pids.query;
    Deno.kill(before, "SIGKILL");
    let answered = false;
    for (let i = 0; i < 300 && !answered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await gql(system.gatewayUrl, "{ categoryStatistics { totalCategories } }");
      answered = res.errors === undefined && system.pids.query !== before;
    }
    assert.ok(answered, "the gateway answered reads again from a new query process");
    assert.equal(system.restarts.query, 1);
    assert.equal(system.restarts.command, 0);
  } finally {
    await system.close();
  }
});

Deno.test("a stop ends every process with code 0: the gRPC servers drain, with no GOAWAY", async () => {
  // A GOAWAY from a stopping gRPC server could abort a client's process (Deno's node:http2,
  // docs/operations.md): the saga worker's, in every one of 3 runs of this test before.
  for (let round = 1; round <= 3; round++) {
    const system = await startTestSystem();
    let exits: Awaited<ReturnType<typeof system.stop>>;
    try {
      exits = await system.stop();
    } finally {
      await system.db.drop();
    }
    for (const [name, status] of Object.entries(exits)) {
      assert.ok(
        status.success,
        `round ${round}: ${name} exited with ${exitDescription(status)}`,
      );
    }
    assert.deepEqual(Object.keys(exits).sort(), [
      "command",
      "gateway",
      "projector",
      "query",
      "saga",
    ]);
  }
});

Deno.test("a gRPC service that stops leaves its clients running: it drains, with no GOAWAY", async () => {
  // A GOAWAY from a stopping server aborted the saga worker's process (Deno's node:http2,
  // docs/operations.md) in 3 of 6 stops of the command service before the change.
  const system = await startTestSystem();
  try {
    for (let round = 1; round <= 3; round++) {
      for (const server of ["command", "query"] as const) {
        const clients = { saga: system.pids.saga, gateway: system.pids.gateway };
        const status = await system.kill(server, "SIGTERM");
        assert.ok(
          status.success,
          `round ${round}: ${server} exited with ${exitDescription(status)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const [name, pid] of Object.entries(clients)) {
          assert.ok(alive(pid), `round ${round}: the ${name} died when ${server} stopped`);
        }
        system.restart(server);
        await waitHealthy(system.gatewayUrl);
      }
    }
  } finally {
    await system.close();
  }
});
