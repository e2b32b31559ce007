import assert from "node:assert/strict";
import { NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import { type AppendEffects, EventStore, sqlEffects } from "@shared/event_store/mod.ts";
import {
  createTestDatabases,
  queries,
  type TestDatabases,
  watchedPool,
} from "@shared/testing/db.ts";
import { newProductEffects, productDeleted, productRequired } from "./products.ts";

/** A store on a pool of one connection whose statements are counted, with a way to append. */
async function withCountedStore(
  run: (t: {
    db: TestDatabases;
    /** Appends one event to a new stream with these effects; the statements it sent. */
    append: (id: string, effects: AppendEffects) => Promise<string[]>;
  }) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabases();
  const { sql, sent } = watchedPool(db.eventStoreUrl);
  const store = new EventStore(sql);
  try {
    await sql`SELECT 1`; // the pool's first connection reads the server's types first
    await run({
      db,
      append: async (id, effects) => {
        const before = sent.length;
        await store.append(id, [{ type: "Happened", data: { id } }], {
          aggregateType: "Test",
          expectedVersion: "no_stream",
          commandId: crypto.randomUUID(),
          effects,
        });
        return queries(sent.slice(before));
      },
    });
  } finally {
    store.close();
    await sql.end();
    await db.drop();
  }
}

/** Asserts that `appending` fails with an error of `type` whose message matches. */
async function refusedWith(
  appending: Promise<unknown>,
  type: typeof NotFoundError | typeof PreconditionError,
  message: RegExp,
): Promise<void> {
  await assert.rejects(appending, (err: unknown) => {
    assert.ok(err instanceof type, String(err));
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("createProduct's effects go into its append statement, and refuse as declared", async () => {
  await withCountedStore(async ({ db, append }) => {
    const live = crypto.randomUUID();
    const gone = crypto.randomUUID();
    await db.eventStore`
      INSERT INTO category_lookup (category_id, parent_id, name, name_key, version, deleted)
      VALUES (${live}, NULL, 'Shoes', 'shoes', 1, false), (${gone}, NULL, 'Hats', 'hats', 2, true)`;
    const effects = (id: string, categoryId: string) =>
      newProductEffects({ id, categoryId, name: "Boot" });

    const made = crypto.randomUUID();
    const statements = await append(made, effects(made, live));
    assert.equal(statements.length, 1, statements.join("\n---\n"));
    const [row] = await db.eventStore<{ category: string }[]>`
      SELECT category_id::text AS category FROM product_lookup WHERE product_id = ${made}`;
    assert.equal(row?.category, live);

    const missing = crypto.randomUUID();
    await refusedWith(
      append(missing, effects(missing, crypto.randomUUID())),
      NotFoundError,
      /^Cannot create product "Boot": category ".*" does not exist$/,
    );
    const deleted = crypto.randomUUID();
    await refusedWith(
      append(deleted, effects(deleted, gone)),
      PreconditionError,
      /^Cannot create product "Boot": category "Hats" is deleted$/,
    );
    const [{ n } = { n: -1 }] = await db.eventStore<{ n: number }[]>`
      SELECT count(*)::int AS n FROM product_lookup`;
    assert.equal(n, 1, "only the created product is recorded");
  });
});

Deno.test("setStock's and deleteProduct's effects go into their append statements, and refuse as declared", async () => {
  await withCountedStore(async ({ db, append }) => {
    const live = crypto.randomUUID();
    const gone = crypto.randomUUID();
    await db.eventStore`
      INSERT INTO product_lookup (product_id, category_id, deleted)
      VALUES (${live}, ${crypto.randomUUID()}, false), (${gone}, ${crypto.randomUUID()}, true)`;
    const stock = (productId: string) =>
      sqlEffects([productRequired(productId, { text: "set the stock", field: "productId" })]);

    assert.equal((await append(crypto.randomUUID(), stock(live))).length, 1);
    await refusedWith(
      append(crypto.randomUUID(), stock(crypto.randomUUID())),
      NotFoundError,
      /^Cannot set the stock: it does not exist$/,
    );
    await refusedWith(
      append(crypto.randomUUID(), stock(gone)),
      PreconditionError,
      /^Cannot set the stock: it is deleted$/,
    );

    assert.equal((await append(crypto.randomUUID(), sqlEffects([productDeleted(live)]))).length, 1);
    const [row] = await db.eventStore<{ deleted: boolean }[]>`
      SELECT deleted FROM product_lookup WHERE product_id = ${live}`;
    assert.equal(row?.deleted, true);
  });
});
