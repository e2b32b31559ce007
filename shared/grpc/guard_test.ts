import assert from "node:assert/strict";
import { categoryQueries, orderQueries } from "@proto/query/v1/contract.ts";
import { ForbiddenError, UnauthenticatedError } from "@shared/errors/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { bearer } from "@shared/testing/auth.ts";
import { defineService } from "./contract.ts";
import { createCallGuard } from "./guard.ts";
import { bind, type ServiceBinding, startGrpcServer } from "./server.ts";

const GET = "cqrs.query.v1.CategoryQueries/GetCategory";
/** CategoryQueries with GetCategory alone: a guard built from it has no rule for the others. */
const getCategoryOnly = defineService(categoryQueries.service, categoryQueries.protoFile, {
  getCategory: categoryQueries.methods.getCategory,
});

Deno.test("an RPC outside the guard's contracts has no rule and is refused, whoever calls", async () => {
  const guard = createCallGuard([getCategoryOnly]);
  assert.equal((await guard.authorize(GET, [])).roles[0], "anonymous");
  const admin = (await bearer("root", ["admin"])).authorization;
  await assert.rejects(
    guard.authorize("cqrs.query.v1.CategoryQueries/GetCategoryTree", [admin]),
    (err: unknown) => err instanceof ForbiddenError && /no access rule/.test(err.message),
  );
});

Deno.test("the guard applies the access rule each RPC's contract declares", async () => {
  const guard = createCallGuard([categoryQueries, orderQueries]);
  const stats = "cqrs.query.v1.OrderQueries/GetOrderStats";
  assert.equal(orderQueries.methods.getOrderStats.access, "staff");
  await assert.rejects(guard.authorize(stats, []), /needs the staff role/);
  const customer = (await bearer("alice", ["customer"])).authorization;
  await assert.rejects(guard.authorize(stats, [customer]), ForbiddenError);
  const staff = (await bearer("bob", ["staff"])).authorization;
  assert.equal((await guard.authorize(stats, [staff])).subject, "bob");
  assert.equal((await guard.authorize(GET, [])).roles[0], "anonymous");
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
      guard: createCallGuard([getCategoryOnly]),
    }),
    /No access rule for .*GetCategoryByName/,
  );
});

Deno.test("authorization metadata must be one Bearer token", async () => {
  const guard = createCallGuard([categoryQueries]);
  const { authorization } = await bearer("root", ["admin"]);
  for (
    const values of [["Basic YWxpY2U6cHc="], [authorization, authorization], [new Uint8Array(3)]]
  ) {
    await assert.rejects(guard.authorize(GET, values), UnauthenticatedError);
  }
  const long = `Bearer ${"a".repeat(9000)}`;
  await assert.rejects(guard.authorize(GET, [long]), /longer than 8192/);
});
