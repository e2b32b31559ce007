import assert from "node:assert/strict";
import { categoryCommands } from "@proto/command/v1/contract.ts";
import { UnavailableError } from "@shared/errors/mod.ts";
import { createClient } from "@shared/grpc/client.ts";
import { createLogger } from "@shared/log/mod.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { startCommandService } from "./app.ts";

Deno.test("a command while the event store cannot be reached is UNAVAILABLE, not INTERNAL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dbPort = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const service = await startCommandService({
    eventStoreUrl: `postgres://postgres@127.0.0.1:${dbPort}/postgres`,
    port: 0,
    host: "127.0.0.1",
    logger: createLogger("test"),
    poolSize: 1,
  });
  const client = actingAs(
    createClient(categoryCommands, `127.0.0.1:${service.port}`, { deadlines: { command: 10_000 } }),
    (await bearer("test-staff", ["staff"])).authorization,
  );
  try {
    const err = await client.createCategory({ name: "Shoes" }).then(
      () => assert.fail("the command should fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UnavailableError, String(err));
    assert.match(err.message, /database is unavailable/);
  } finally {
    client.close();
    await service.stop();
  }
});
