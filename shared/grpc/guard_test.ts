import assert from "node:assert/strict";
import { categoryQueries } from "@proto/query/v1/contract.ts";
import { ForbiddenError, UnauthenticatedError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { bearer } from "@shared/testing/auth.ts";
import { createCallGuard } from "./guard.ts";
import { bind, type ServiceBinding, startGrpcServer } from "./server.ts";

const GET = "cqrs.query.v1.CategoryQueries/GetCategory";

Deno.test("an RPC without a rule is refused, whoever calls", async () => {
  const guard = createCallGuard({ policy: { [GET]: "anonymous" } });
  assert.equal((await guard.authorize(GET, [])).roles[0], "anonymous");
  const admin = (await bearer("root", ["admin"])).authorization;
  await assert.rejects(
    guard.authorize("cqrs.query.v1.CategoryQueries/GetCategoryTree", [admin]),
    (err: unknown) => err instanceof ForbiddenError && /no access rule/.test(err.message),
  );
});

Deno.test("a server refuses to start when an RPC it serves has no rule", async () => {
  const handlers = Object.fromEntries(
    Object.keys(categoryQueries.methods).map((k) => [k, () => Promise.resolve({})]),
  );
  const binding = bind(categoryQueries, handlers as never) as ServiceBinding;
  await assert.rejects(
    startGrpcServer([binding], {
      port: 0,
      host: "127.0.0.1",
      logger: createLogger("test"),
      guard: createCallGuard({ policy: { [GET]: "anonymous" } }),
    }),
    /No access rule for .*GetCategoryByName/,
  );
});

Deno.test("authorization metadata must be one Bearer token", async () => {
  const guard = createCallGuard();
  const { authorization } = await bearer("root", ["admin"]);
  for (
    const values of [["Basic YWxpY2U6cHc="], [authorization, authorization], [new Uint8Array(3)]]
  ) {
    await assert.rejects(guard.authorize(GET, values), UnauthenticatedError);
  }
  const long = `Bearer ${"a".repeat(9000)}`;
  await assert.rejects(guard.authorize(GET, [long]), /longer than 8192/);
});
