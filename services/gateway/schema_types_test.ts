import assert from "node:assert/strict";
import { buildSchema, printType } from "graphql";
import { z } from "zod";
import { message } from "@shared/grpc/proto_text.ts";
import { objectTypeDefs } from "./schema_types.ts";

const Tag = message("Tag", z.object({ label: z.string() }));
const ItemView = message(
  "Item",
  z.object({
    id: z.string(),
    ownerId: z.string(),
    title: z.string().describe("Shown in lists."),
    note: z.string().optional(),
    count: z.number().int(),
    weight: z.number(),
    open: z.boolean(),
    tags: z.array(Tag),
    version: z.number().int(),
  }),
  "Something a customer keeps.",
);

Deno.test("an object type shows its view's fields, typed from the contract, less the hidden, then the computed", () => {
  const sdl = objectTypeDefs([
    { name: "Item", view: ItemView, hide: ["version"], computed: "    owner: Item" },
    { name: "Tag", view: Tag },
  ]);
  const schema = buildSchema(`type Query { item: Item }\n${sdl}`);
  assert.equal(
    printType(schema.getType("Item")!),
    `"""Something a customer keeps."""
type Item {
  id: ID!
  ownerId: ID!

  """Shown in lists."""
  title: String!
  note: String
  count: Int!
  weight: Float!
  open: Boolean!
  tags: [Tag!]!
  owner: Item
}`,
  );
});

Deno.test("a hidden field the view lacks, a field GraphQL cannot show, or a nameless object is refused", () => {
  assert.throws(
    () => objectTypeDefs([{ name: "Item", view: ItemView, hide: ["colour"] }]),
    /Item hides colour, which its view lacks/,
  );
  assert.throws(
    () => objectTypeDefs([{ name: "When", view: z.object({ at: z.date() }) }]),
    /When\.at: zod type "date" has no GraphQL output type/,
  );
  assert.throws(
    () => objectTypeDefs([{ name: "Box", view: z.object({ inner: z.object({ a: z.string() }) }) }]),
    /Box\.inner: an object with no GraphQL type or message name/,
  );
});
