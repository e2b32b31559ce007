import assert from "node:assert/strict";
import { buildSchema, getNamedType, isNonNullType, printType } from "graphql";
import { z } from "zod";
import { optional, uuid } from "@shared/domain/shared/fields.ts";
import { defineService, rpc } from "@shared/grpc/contract.ts";
import { message } from "@shared/grpc/proto_text.ts";
import { mutationTypeDefs } from "./schema_mutations.ts";

const Thing = message("Thing", z.object({ id: z.string(), label: z.string() }));
const Place = message("Place", z.object({ city: z.string() }));
const things = defineService("test.things.v1.Things", "test/v1/things.proto", {
  createThing: rpc(
    { kind: "command", access: "staff", answers: Thing, doc: "Makes a thing." },
    z.object({
      id: optional(uuid).describe("Chosen by the client."),
      label: z.string(),
      weight: z.number(),
      count: z.number().int().optional(),
      rate: z.union([z.number(), z.string()]),
      tags: z.array(z.string()),
      at: Place,
      parts: z.array(z.object({ partId: uuid })).optional(),
      kind: z.enum(["a", "b"]),
      urgent: z.boolean().optional(),
    }),
    z.object({}),
  ),
  deleteThing: rpc({ kind: "command", access: "admin" }, z.object({ id: uuid }), z.object({})),
  sweep: rpc({ kind: "command", access: "service" }, z.object({}), z.object({})),
});
const sdl = (services = [things]) =>
  `type Query { ok: Boolean }\ntype Thing { id: ID!, label: String! }\n${
    mutationTypeDefs(services)
  }`;

Deno.test("each command a client may send is a mutation: input from its contract, answer from its view", () => {
  const schema = buildSchema(sdl());
  const mutation = schema.getMutationType()!;
  assert.deepEqual(Object.keys(mutation.getFields()), ["createThing", "deleteThing"]);
  const create = mutation.getFields().createThing!;
  assert.equal(String(create.type), "Thing!");
  assert.equal(create.description, "Makes a thing.");
  assert.equal(String(create.args[0]!.type), "CreateThingInput!");
  assert.equal(
    String(mutation.getFields().deleteThing!.type),
    "Boolean!",
    "a delete answers no view",
  );
  assert.equal(
    printType(schema.getType("CreateThingInput")!),
    `input CreateThingInput {
  """Chosen by the client."""
  id: ID
  label: String!
  weight: Float!
  count: Int
  rate: String!
  tags: [String!]!
  at: PlaceInput!
  parts: [PartsInput!]
  kind: String!
  urgent: Boolean
}`,
  );
  const parts = schema.getType("PartsInput") as { getFields(): Record<string, { type: unknown }> };
  const partId = parts.getFields().partId!.type;
  assert.ok(isNonNullType(partId) && getNamedType(partId).name === "ID");
});

Deno.test("a contract field GraphQL cannot take, or two inputs under one name, are refused", () => {
  const odd = defineService("test.odd.v1.Odd", "test/v1/odd.proto", {
    when: rpc({ kind: "command", access: "staff" }, z.object({ at: z.date() }), z.object({})),
  });
  assert.throws(
    () => mutationTypeDefs([odd]),
    /test\.odd\.v1\.Odd\.when input\.at: zod type "date" has no GraphQL input type/,
  );
  const clash = defineService("test.clash.v1.Clash", "test/v1/clash.proto", {
    a: rpc({ kind: "command", access: "staff" }, z.object({ at: Place }), z.object({})),
    b: rpc(
      { kind: "command", access: "staff" },
      z.object({ at: message("Place", z.object({ town: z.string() })) }),
      z.object({}),
    ),
  });
  assert.throws(() => mutationTypeDefs([clash]), /Two GraphQL input types named PlaceInput differ/);
  const nameless = defineService("test.n.v1.N", "test/v1/n.proto", {
    make: rpc(
      { kind: "command", access: "staff", answers: z.object({ id: z.string() }) },
      z.object({}),
      z.object({}),
    ),
  });
  assert.throws(() => mutationTypeDefs([nameless]), /the view it answers with has no message name/);
});
