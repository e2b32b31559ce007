import { pipelinedTransaction } from "@shared/db/transaction.ts";
import type { Sql, TxSql } from "@shared/db/connect.ts";

/** A PostgreSQL identifier, quoted. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema a projection is rebuilt in, and the one its old tables pass through. */
export function rebuildSchemas(projection: string): { shadow: string; retired: string } {
  const safe = projection.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 40);
  return { shadow: `rebuild_${safe}`, retired: `retired_${safe}` };
}

interface IndexRow {
  table_name: string;
  target: string;
  def: string | null;
  unique: boolean;
  method: string;
  constraint_name: string | null;
  constraint_def: string | null;
}

/** The deferred part of a shadow copy: indexes that no handler needs while it is filled. */
export interface ShadowTables {
  deferredIndexes: string[];
}

/**
 * Creates empty copies of a projection's tables in the shadow schema
 * (dropping what an interrupted rebuild left there): same columns, defaults
 * and checks, unlogged while they are filled. Keys, unique and B-tree
 * indexes are created now, since handlers rely on them (ON CONFLICT, lookups
 * by a column); the others (GIN, GiST: trigram and JSON searches, costly to
 * keep up row by row and of use to queries only) are returned, to be built
 * once the bulk of the events is in.
 */
export async function createShadowTables(
  sql: Sql,
  live: string,
  shadow: string,
  tables: readonly string[],
): Promise<ShadowTables> {
  const deferredIndexes: string[] = [];
  await pipelinedTransaction(sql, async (tx) => {
    await tx.unsafe(`DROP SCHEMA IF EXISTS ${ident(shadow)} CASCADE`);
    await tx.unsafe(`CREATE SCHEMA ${ident(shadow)}`);
    for (const table of tables) {
      const [found] = await tx<{ oid: string | null }[]>`
        SELECT to_regclass(${`${ident(live)}.${ident(table)}`})::text AS oid`;
      if (!found?.oid) {
        throw new Error(`Cannot rebuild table "${live}.${table}": it does not exist`);
      }
      await tx.unsafe(
        `CREATE UNLOGGED TABLE ${ident(shadow)}.${ident(table)}
         (LIKE ${ident(live)}.${ident(table)} INCLUDING ALL EXCLUDING INDEXES)`,
      );
    }
    const indexes = await tx<IndexRow[]>`
      SELECT t.relname AS table_name,
        quote_ident(${shadow}) || '.' || quote_ident(t.relname) AS target,
        replace(pg_get_indexdef(i.indexrelid),
          ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(t.relname) || ' ',
          ' ON ' || quote_ident(${shadow}) || '.' || quote_ident(t.relname) || ' ') AS def,
        i.indisunique AS unique, am.amname::text AS method, c.conname AS constraint_name,
        pg_get_constraintdef(c.oid) AS constraint_def
      FROM pg_index i
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
      LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = t.oid
        AND c.contype IN ('p', 'u', 'x')
      WHERE n.nspname = ${live} AND t.relname = ANY(${tables as string[]})
      ORDER BY t.relname, i.indexrelid`;
    for (const index of indexes) {
      const target = index.target;
      if (index.constraint_name && index.constraint_def) {
        await tx.unsafe(
          `ALTER TABLE ${target} ADD CONSTRAINT ${
            ident(index.constraint_name)
          } ${index.constraint_def}`,
        );
      } else if (!index.def?.includes(` ON ${target} `)) {
        throw new Error(`Cannot copy an index of table "${index.table_name}": ${index.def}`);
      } else if (index.unique || index.method === "btree") {
        await tx.unsafe(index.def);
      } else {
        deferredIndexes.push(index.def);
      }
    }
  });
  return { deferredIndexes };
}

/** Makes the filled shadow tables durable, builds their other indexes and their statistics. */
export async function finishShadowTables(
  sql: Sql,
  shadow: string,
  tables: readonly string[],
  shadowTables: ShadowTables,
): Promise<void> {
  for (const table of tables) {
    await sql.unsafe(`ALTER TABLE ${ident(shadow)}.${ident(table)} SET LOGGED`);
  }
  for (const def of shadowTables.deferredIndexes) await sql.unsafe(def);
  for (const table of tables) await sql.unsafe(`ANALYZE ${ident(shadow)}.${ident(table)}`);
}

/**
 * Swaps the shadow tables in, inside the caller's transaction: the live
 * tables move to the retired schema, the shadow ones take their place, the
 * views over them are re-pointed (CREATE OR REPLACE with their own
 * definition, read before the move), and the old tables are dropped. Other
 * sessions see the old tables up to the commit and the new ones after it;
 * their prepared statements are re-planned against the new tables.
 */
export async function swapShadowTables(
  tx: TxSql,
  live: string,
  schemas: { shadow: string; retired: string },
  tables: readonly string[],
): Promise<void> {
  const { shadow, retired } = schemas;
  // Views read with the live schema alone on the path, so they name its tables unqualified.
  await tx.unsafe(`SET LOCAL search_path TO ${ident(live)}`);
  const views = await tx<{ name: string; def: string; kind: string }[]>`
    SELECT DISTINCT quote_ident(vn.nspname) || '.' || quote_ident(v.relname) AS name,
      pg_get_viewdef(v.oid) AS def, v.relkind::text AS kind
    FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    JOIN pg_class v ON v.oid = r.ev_class
    JOIN pg_namespace vn ON vn.oid = v.relnamespace
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid IN (
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ${live} AND c.relname = ANY(${tables as string[]}))
      AND NOT (vn.nspname = ${live} AND v.relname = ANY(${tables as string[]}))`;
  const matview = views.find((v) => v.kind !== "v");
  if (matview) throw new Error(`Cannot swap tables under materialized view ${matview.name}`);
  // Every lock first, in one statement, before any change: under the caller's short
  // lock_timeout the swap gives way (and is tried again) rather than deadlock a reader.
  const locked = [...tables.map((t) => `${ident(live)}.${ident(t)}`), ...views.map((v) => v.name)];
  await tx.unsafe(`LOCK TABLE ${locked.join(", ")} IN ACCESS EXCLUSIVE MODE`);
  await tx.unsafe(`DROP SCHEMA IF EXISTS ${ident(retired)} CASCADE`);
  await tx.unsafe(`CREATE SCHEMA ${ident(retired)}`);
  for (const table of tables) {
    await tx.unsafe(`ALTER TABLE ${ident(live)}.${ident(table)} SET SCHEMA ${ident(retired)}`);
  }
  for (const table of tables) {
    await tx.unsafe(`ALTER TABLE ${ident(shadow)}.${ident(table)} SET SCHEMA ${ident(live)}`);
  }
  for (const view of views) await tx.unsafe(`CREATE OR REPLACE VIEW ${view.name} AS ${view.def}`);
  // RESTRICT: anything else still leaning on an old table fails the swap rather than vanish.
  for (const table of tables) await tx.unsafe(`DROP TABLE ${ident(retired)}.${ident(table)}`);
  await tx.unsafe(`DROP SCHEMA ${ident(retired)}`);
  await tx.unsafe(`DROP SCHEMA ${ident(shadow)}`);
  await tx.unsafe(`SET LOCAL search_path TO DEFAULT`);
}

/** Drops a shadow schema and whatever is in it (after a failed rebuild). */
export async function dropShadow(sql: Sql, shadow: string): Promise<void> {
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${ident(shadow)} CASCADE`);
}
