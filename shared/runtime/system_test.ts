import assert from "node:assert/strict";
import { startTestSystem } from "@shared/testing/system.ts";
import { gql } from "@shared/testing/graphql.ts";

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
