import assert from "node:assert/strict";
import { categoryCommands, commandContracts } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import { ForbiddenError, UnauthenticatedError, ValidationError } from "@shared/errors/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import { createCallGuard } from "@shared/grpc/guard.ts";
import { KeyedLock } from "@shared/runtime/keyed_lock.ts";
import { bearer } from "@shared/testing/auth.ts";
import { categories } from "./aggregates.ts";
import { commandsFor, rpcOf } from "./command.ts";
import { bindCommands, declaredIn, dispatch, type PipelineDeps } from "./pipeline.ts";

/** A store that fails the test's call as soon as anything reads or writes it. */
const untouchable = new Proxy({}, {
  get: () => {
    throw new Error("the store was reached");
  },
}) as EventStore;

const deps: PipelineDeps = {
  store: untouchable,
  now: () => "2026-01-01T00:00:00.000Z",
  streamLocks: new KeyedLock(),
  guard: createCallGuard(commandContracts),
};

const defineCommand = commandsFor<PipelineDeps>();

// DeleteCategory's rule is admin.
const deleteCategory = defineCommand({
  rpc: rpcOf(categoryCommands, "deleteCategory"),
  aggregate: categories,
  stream: (input) => input.id,
  decide: (input, { state }, envelope) =>
    category.decide({
      type: "DeleteCategory",
      id: input.id,
      childCount: 0,
      productIds: [],
      at: envelope.at,
    }, state),
});

const call = (request: unknown, authorization: string[] = []) => ({
  request,
  authorization,
  metadata: {},
});

Deno.test("dispatch() refuses a caller the access policy refuses, before its input or the store", async () => {
  await assert.rejects(dispatch(deps, deleteCategory, call({ id: "not a uuid" })), ForbiddenError);
  const { authorization } = await bearer("staff-1", ["staff"]);
  await assert.rejects(
    dispatch(deps, deleteCategory, call({ id: "not a uuid" }, [authorization])),
    /needs the admin role/,
  );
  await assert.rejects(
    dispatch(deps, deleteCategory, call({ id: crypto.randomUUID() }, ["Bearer x.y.z"])),
    UnauthenticatedError,
  );
});

Deno.test("dispatch() checks the input against the RPC's contract before the store", async () => {
  const { authorization } = await bearer("admin-1", ["admin"]);
  const err = await dispatch(deps, deleteCategory, call({ id: "not a uuid" }, [authorization]))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ValidationError);
  assert.deepEqual(err.issues.map((i) => i.field), ["id"]);
  // A valid call goes on to the idempotency check, the first step that reads the store.
  await assert.rejects(
    dispatch(deps, deleteCategory, call({ id: crypto.randomUUID() }, [authorization])),
    /the store was reached/,
  );
});

Deno.test("dispatch() refuses every caller when the service has no guard", async () => {
  const { authorization } = await bearer("admin-1", ["admin"]);
  const { guard: _, ...unguarded } = deps;
  await assert.rejects(
    dispatch(unguarded, deleteCategory, call({ id: crypto.randomUUID() }, [authorization])),
    ForbiddenError,
  );
});

Deno.test("bindCommands() refuses a contract with an RPC no command serves", () => {
  assert.throws(
    () => bindCommands(deps, categoryCommands, { deleteCategory }),
    /No command declared for cqrs\.command\.v1\.CategoryCommands\/createCategory/,
  );
  // A command of another RPC does not serve this one.
  assert.throws(
    () =>
      bindCommands(deps, categoryCommands, {
        createCategory: deleteCategory,
        updateCategory: deleteCategory,
        deleteCategory,
      }),
    /createCategory/,
  );
});

Deno.test("declaredIn finds a contract's commands among a module's exports, once each", () => {
  const handlers = { deleteCategory, other: 42, helper: () => {} };
  assert.deepEqual(Object.keys(declaredIn(categoryCommands, [handlers])), ["deleteCategory"]);
  // The same declaration exported twice is one command; two declarations of one RPC are refused.
  assert.doesNotThrow(() => declaredIn(categoryCommands, [handlers, { again: deleteCategory }]));
  const twin = defineCommand({
    rpc: rpcOf(categoryCommands, "deleteCategory"),
    aggregate: categories,
    stream: (input) => input.id,
    decide: () => [],
  });
  assert.throws(
    () => declaredIn(categoryCommands, [handlers, { twin }]),
    /Two commands declared for cqrs\.command\.v1\.CategoryCommands\/DeleteCategory/,
  );
});
