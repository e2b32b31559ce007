import assert from "node:assert/strict";
import { buildSchema, graphql, type GraphQLResolveInfo } from "graphql";
import { selectsOnly } from "./_selection.ts";

const schema = buildSchema(`
  type C { id: ID name: String count: Int }
  type Query { c: C }
`);

/** Whether each `c` field of `source` asks for no more than id and name, by its alias. */
async function answers(source: string): Promise<Record<string, boolean>> {
  const seen: Record<string, boolean> = {};
  const res = await graphql({
    schema,
    source,
    fieldResolver: (_parent, _args, _ctx, info: GraphQLResolveInfo) => {
      if (info.fieldName !== "c") return undefined;
      seen[info.path.key] = selectsOnly(info, new Set(["id", "name", "__typename"]));
      return {};
    },
  });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return seen;
}

Deno.test("selectsOnly() answers yes only for a selection of the given leaf fields", async () => {
  assert.deepEqual(await answers(`{ c { id name __typename } }`), { c: true });
  assert.deepEqual(await answers(`{ c { name count } }`), { c: false });
  assert.deepEqual(await answers(`{ a: c { id } b: c { count } }`), { a: true, b: false });
  // Fragments are followed.
  assert.deepEqual(await answers(`{ c { ...F } } fragment F on C { name }`), { c: true });
  assert.deepEqual(await answers(`{ c { ...F } } fragment F on C { count }`), { c: false });
  assert.deepEqual(await answers(`{ c { ... on C { id ... on C { name } } } }`), { c: true });
  // A directive is not worked out: the answer is no.
  assert.deepEqual(await answers(`{ c { name @include(if: true) } }`), { c: false });
});
