import assert from "node:assert/strict";
import { bearer } from "@shared/testing/auth.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem } from "@shared/testing/system.ts";

const CREATE = `mutation ($input: CreateCategoryInput!) {
  createCategory(input: $input) { id name description depth path { id name } parent { id name } }
}`;

interface Created {
  createCategory: {
    id: string;
    name: string;
    description: string | null;
    depth: number;
    path: { id: string; name: string }[];
    parent: { id: string; name: string } | null;
  };
}

Deno.test("the category slice runs through every real process", async (t) => {
  const system = await startTestSystem({ PROJECTOR_POLL_MS: "200", LOG_LEVEL: "warn" });
  const { db } = system;
  const url = system.gatewayUrl;
  const staff = await bearer("clerk", ["staff"]);
  const eventCount = async () =>
    Number((await db.eventStore`SELECT count(*)::int AS n FROM events`)[0]!.n);
  try {
    await t.step("health reports every dependency serving", async () => {
      const res = await fetch(`${url}/health`);
      const body = await res.json();
      assert.equal(res.status, 200);
      assert.equal(body.dependencies.command.status, "SERVING");
      assert.equal(body.dependencies.query.status, "SERVING");
    });

    let rootId = "";
    await t.step(
      "createCategory goes through command, event store, projector and query",
      async () => {
        const res = await gql<Created>(url, CREATE, {
          input: { name: "  Shoes ", description: "Footwear" },
        }, { "x-correlation-id": "corr-1", ...(await bearer("user-7", ["staff"])) });
        assert.equal(res.errors, undefined);
        const created = res.data!.createCategory;
        assert.equal(created.name, "Shoes");
        assert.equal(created.depth, 1);
        rootId = created.id;

        const child = await gql<Created>(url, CREATE, {
          input: { name: "Running", parentId: rootId },
        }, staff);
        assert.equal(child.errors, undefined);
        assert.equal(child.data!.createCategory.depth, 2);
        assert.deepEqual(child.data!.createCategory.path.map((p) => p.name), ["Shoes", "Running"]);
        assert.equal(child.data!.createCategory.parent?.id, rootId);

        const read = await gql<{
          category: { name: string; children: { name: string }[] };
          categories: { name: string }[];
        }>(
          url,
          `query ($id: ID!) { category(id: $id) { name children { name } } categories { name } }`,
          {
            id: rootId,
          },
        );
        assert.equal(read.errors, undefined);
        assert.equal(read.data!.category.name, "Shoes");
        assert.deepEqual(read.data!.category.children.map((c) => c.name), ["Running"]);
        assert.deepEqual(read.data!.categories.map((c) => c.name).sort(), ["Running", "Shoes"]);
      },
    );

    await t.step("command metadata travels into event_metadata", async () => {
      const rows = await db.eventStore<{ event_metadata: Record<string, string> }[]>`
        SELECT event_metadata FROM events WHERE aggregate_id = ${rootId}`;
      const meta = rows[0]!.event_metadata;
      assert.equal(meta.correlationId, "corr-1");
      assert.equal(meta.userId, "user-7");
      assert.match(meta.commandId!, /^[0-9a-f-]{36}$/);
    });

    await t.step(
      "invalid input is refused with VALIDATION naming the field, and nothing is appended",
      async () => {
        const before = await eventCount();
        const cases: [Record<string, unknown>, string][] = [
          [{ name: "" }, "name"],
          [{ name: "   " }, "name"],
          [{ name: "x".repeat(101) }, "name"],
          [{ name: "Ok", parentId: "not-a-uuid" }, "parentId"],
          [{ name: "Ok", id: "123" }, "id"],
        ];
        for (const [input, field] of cases) {
          const res = await gql(url, CREATE, { input }, staff);
          const error = res.errors?.[0];
          assert.equal(error?.extensions?.code, "VALIDATION", JSON.stringify(res));
          assert.match(error!.message, new RegExp(`^${field}:`));
        }
        const at100 = await gql<Created>(
          url,
          CREATE,
          { input: { name: "y".repeat(100) } },
          staff,
        );
        assert.equal(at100.errors, undefined);
        assert.equal(await eventCount(), before + 1);
        const badId = await gql(url, `{ category(id: "nope") { id } }`);
        assert.equal(badId.errors?.[0]?.extensions?.code, "VALIDATION");
      },
    );

    await t.step("a missing parent is NOT_FOUND", async () => {
      const res = await gql(url, CREATE, {
        input: { name: "Orphan", parentId: crypto.randomUUID() },
      }, staff);
      assert.equal(res.errors?.[0]?.extensions?.code, "NOT_FOUND");
      assert.equal(res.errors?.[0]?.extensions?.field, "parentId");
    });

    await t.step("with the command service down, mutations fail with UNAVAILABLE", async () => {
      await system.kill("command");
      const res = await gql(url, CREATE, { input: { name: "Later" } }, staff);
      assert.equal(res.errors?.[0]?.extensions?.code, "UNAVAILABLE");
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 503);
      assert.equal((await health.json()).dependencies.command.status, "UNREACHABLE");
    });
  } finally {
    await system.close();
  }
});
