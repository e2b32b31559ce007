import assert from "node:assert/strict";
import { buildSchema, type GraphQLResolveInfo } from "graphql";
import { z } from "zod";
import { CommandResult } from "@proto/command/v1/contract.ts";
import { defineService, rpc } from "@shared/grpc/contract.ts";
import type { Context } from "../context.ts";
import { typeDefs } from "../schema.ts";
import { commandMutations } from "./mutations.ts";

const schema = buildSchema(typeDefs);
const mutations = commandMutations();

const PRODUCT = "6f1c1c52-8d7e-4a55-9a43-3c1d4f8a0b01";
const CATEGORY = "0b6f5d58-2a8c-4f0e-9a8e-8f7a1b2c3d4e";
const ORDER = "d3a3f1b2-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
const INVENTORY = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

/** A command service's answer: the aggregate written, and the view when the command gave one. */
function result(id: string, state?: unknown) {
  return {
    id,
    version: 1,
    transactionId: "7",
    position: "9",
    ...(state === undefined ? {} : { state: JSON.stringify(state) }),
  };
}

const product = {
  id: PRODUCT,
  name: "Lamp",
  description: "A desk lamp",
  price: "10.00",
  categoryId: CATEGORY,
  version: 2,
  archived: false,
};

/**
 * A request's context whose command clients answer `answer` and record what
 * they were sent, and whose loaders and order reads record the ids they read.
 */
function context(answer: ReturnType<typeof result>) {
  const sent: { method: string; input: unknown; commandId: unknown }[] = [];
  const read: string[] = [];
  const command = (method: string) => (input: unknown, o: { metadata: { commandId: string } }) => {
    sent.push({ method, input, commandId: o.metadata.commandId });
    return Promise.resolve(answer);
  };
  const service = new Proxy({}, { get: (_, method) => command(String(method)) });
  const loader = (kind: string, entity: unknown) => ({
    load: (id: string) => {
      read.push(`${kind}:${id}`);
      return Promise.resolve(entity);
    },
    clearAll: () => {},
  });
  const ctx = {
    clients: {
      categoryCommands: service,
      productCommands: service,
      orderCommands: service,
      orderQueries: {
        getOrder: ({ id }: { id: string }) => {
          read.push(`order:${id}`);
          return Promise.resolve({ order: { id, status: "pending", saga: undefined } });
        },
      },
    },
    metadata: {},
    state: { read: {}, commandCount: 0 },
    loaders: {
      category: loader("category", { id: CATEGORY }),
      product: loader("product", product),
      productsByCategory: loader("productsByCategory", []),
    },
  } as unknown as Context;
  return { ctx, sent, read };
}

function run(name: string, input: Record<string, unknown>, answer: ReturnType<typeof result>) {
  const { ctx, sent, read } = context(answer);
  const field = schema.getMutationType()!.getFields()[name]!;
  const info = { returnType: field.type } as unknown as GraphQLResolveInfo;
  const resolve = mutations[name];
  assert.ok(resolve, `${name} has a resolver`);
  return { answer: resolve(undefined, { input }, ctx, info), sent, read, ctx };
}

Deno.test("a mutation sends its input, nulls dropped, to the command of its name with a command id", async () => {
  const { answer, sent, read, ctx } = run(
    "updateProduct",
    { id: PRODUCT, name: "Lamp", description: null },
    result(PRODUCT, product),
  );
  assert.deepEqual(await answer, product);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.method, "updateProduct");
  assert.deepEqual(sent[0]!.input, { id: PRODUCT, name: "Lamp" });
  assert.match(String(sent[0]!.commandId), /^[0-9a-f-]{36}$/);
  assert.deepEqual(read, [], "the command's view answers; nothing is read");
  assert.equal(ctx.state.consistencyToken, "7:9", "later reads wait for the command's position");
});

Deno.test("only commands a client may send are mutations", () => {
  for (const name of ["createProduct", "archiveProduct", "setStock", "createOrder"]) {
    assert.ok(mutations[name], name);
  }
  const only = z.object({ id: z.string() });
  const service = defineService("cqrs.command.v1.ProductCommands", "command/v1/command.proto", {
    publicCommand: rpc({ kind: "command", access: "staff" }, only, CommandResult),
    serviceCommand: rpc({ kind: "command", access: "service" }, only, CommandResult),
  });
  assert.deepEqual(Object.keys(commandMutations({ productCommands: service })), ["publicCommand"]);
});

Deno.test("a result without a view reads the entity the mutation names", async (t) => {
  await t.step("setStock: the product of productId, not the inventory stream written", async () => {
    const { answer, read } = run(
      "setStock",
      { productId: PRODUCT, quantity: 3 },
      result(INVENTORY),
    );
    assert.deepEqual(await answer, product);
    assert.deepEqual(read, [`product:${PRODUCT}`]);
  });
  await t.step("createOrder without an id: the order the command wrote", async () => {
    const { answer, read } = run("createOrder", { customerId: CATEGORY, items: [] }, result(ORDER));
    assert.equal(((await answer) as { id: string }).id, ORDER);
    assert.deepEqual(read, [`order:${ORDER}`]);
  });
  await t.step("startOrderSaga: the order of orderId", async () => {
    const { answer, read } = run("startOrderSaga", { orderId: ORDER }, result(INVENTORY));
    assert.equal(((await answer) as { id: string }).id, ORDER);
    assert.deepEqual(read, [`order:${ORDER}`]);
  });
  await t.step("updateCategory: the category of id", async () => {
    const { answer, read } = run(
      "updateCategory",
      { id: CATEGORY, name: "Home" },
      result(CATEGORY),
    );
    assert.deepEqual(await answer, { id: CATEGORY });
    assert.deepEqual(read, [`category:${CATEGORY}`]);
  });
});

Deno.test("a mutation whose schema answers Boolean answers true, reading nothing", async () => {
  const { answer, read, sent } = run("deleteProduct", { id: PRODUCT }, result(PRODUCT));
  assert.equal(await answer, true);
  assert.deepEqual(read, []);
  assert.equal(sent[0]!.method, "deleteProduct");
});
