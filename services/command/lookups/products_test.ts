import assert from "node:assert/strict";
import { openPostgres } from "@shared/db/connect.ts";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { createTestDatabases } from "@shared/testing/db.ts";
import { newProductEffects } from "./products.ts";

Deno.test("createProduct's effects go into its append statement, and refuse as declared", async () => {
  const db = await createTestDatabases();
  const sent: string[] = [];
  const sql = openPostgres(db.eventStoreUrl, {
    max: 1,
    debug: (_c: number, query: string) => void sent.push(query.trim()),
  });
  const store = new EventStore(sql);
  const live = crypto.randomUUID();
  const gone = crypto.randomUUID();
  const create = (categoryId: string) => {
    const id = crypto.randomUUID();
    const appended = store.append(id, [{ type: "ProductCreated", data: { id, categoryId } }], {
      aggregateType: "Product",
      expectedVersion: "no_stream",
      commandId: crypto.randomUUID(),
      effects: newProductEffects({ id, categoryId, name: "Boot" }),
    });
    return { id, appended };
  };
  try {
    await db.eventStore`
      INSERT INTO category_lookup (category_id, parent_id, name, name_key, version, deleted)
      VALUES (${live}, NULL, 'Shoes', 'shoes', 1, false), (${gone}, NULL, 'Hats', 'hats', 2, true)`;
    await sql`SELECT 1`; // the pool's first connection reads the server's types first

    const before = sent.length;
    const made = create(live);
    await made.appended;
    const statements = sent.slice(before);
    assert.equal(statements.length, 1, statements.join("\n---\n"));
    const [row] = await db.eventStore<{ category: string }[]>`
      SELECT category_id::text AS category FROM product_lookup WHERE product_id = ${made.id}`;
    assert.equal(row?.category, live);

    const missing = create(crypto.randomUUID());
    await assert.rejects(missing.appended, (err: unknown) => {
      assert.ok(err instanceof NotFoundError, String(err));
      assert.match(err.message, /^Cannot create product "Boot": category ".*" does not exist$/);
      return true;
    });
    const deleted = create(gone);
    await assert.rejects(deleted.appended, (err: unknown) => {
      assert.ok(err instanceof PreconditionError, String(err));
      assert.equal(err.message, 'Cannot create product "Boot": category "Hats" is deleted');
      return true;
    });
    for (const refused of [missing, deleted]) {
      assert.equal(await store.streamVersion(refused.id), 0);
    }
    const [{ n } = { n: -1 }] = await db.eventStore<{ n: number }[]>`
      SELECT count(*)::int AS n FROM product_lookup`;
    assert.equal(n, 1, "only the created product is recorded");
  } finally {
    store.close();
    await sql.end();
    await db.drop();
  }
});
