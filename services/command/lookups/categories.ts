/**
 * The write-side category lookup (migration 100): reads that give the
 * deciders their cross-aggregate facts, and the effects that keep the table
 * in step with each category append, in its transaction. The effects check
 * again, under row locks, what the decider was told, so two racing commands
 * cannot both pass: the loser gets the same error the decider would give.
 */
import type { Sql, TxSql } from "@shared/db/connect.ts";

/** A pool or a transaction: lookups read the same way from both. */
export type Queryable = Sql | TxSql;
import type { Sibling } from "@shared/domain/category/mod.ts";
import { type EffectStatement, sendEffect } from "@shared/event_store/mod.ts";
import { nameKey, quote } from "@shared/domain/shared/rules.ts";
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  PreconditionError,
} from "@shared/errors/mod.ts";

const ROOT = "00000000-0000-0000-0000-000000000000";
const SIBLING_NAME = "category_lookup_sibling_name";

/** What a command is doing, for its error messages: `create category "Shoes"`. */
export interface Action {
  text: string;
  /** The input field an error names. */
  field: string;
}

/** Live categories under a parent (null: the roots) whose name has the same key as `name`. */
export async function siblingsNamed(
  sql: Queryable,
  parentId: string | null,
  name: string,
): Promise<Sibling[]> {
  return await sql<Sibling[]>`
    SELECT category_id::text AS id, name FROM category_lookup
    WHERE COALESCE(parent_id, ${ROOT}::uuid) = ${parentId ?? ROOT}::uuid
      AND name_key = ${nameKey(name)} AND NOT deleted`;
}

/** How many live subcategories a category has. */
export async function liveChildCount(sql: Queryable, id: string): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM category_lookup WHERE parent_id = ${id} AND NOT deleted`;
  return rows[0]?.n ?? 0;
}

/** A live category below another; `level` 1 is a child. */
export interface Descendant {
  id: string;
  parentId: string;
  level: number;
}

/** Every live descendant of a category, parents before children. */
export async function liveDescendants(sql: Queryable, id: string): Promise<Descendant[]> {
  return await sql<Descendant[]>`
    WITH RECURSIVE below AS (
      SELECT category_id, parent_id, 1 AS level FROM category_lookup
      WHERE parent_id = ${id} AND NOT deleted
      UNION ALL
      SELECT c.category_id, c.parent_id, b.level + 1 FROM category_lookup c
      JOIN below b ON c.parent_id = b.category_id
      WHERE NOT c.deleted AND b.level < 16
    )
    SELECT category_id::text AS id, parent_id::text AS "parentId", level FROM below
    ORDER BY level, category_id`;
}

/**
 * Effect: locks category rows in id order. A command that writes one
 * category and checks another (a move, a reassignment) takes both first, so
 * two such commands crossing each other wait instead of deadlocking.
 */
export async function lockCategories(tx: TxSql, ids: readonly string[]): Promise<void> {
  await tx`
    SELECT category_id FROM category_lookup WHERE category_id = ANY(${[...ids]}::uuid[])
    ORDER BY category_id FOR UPDATE`;
}

/** A category an effect requires, as {@link requireCategory} takes it. */
export interface CategoryRef {
  id: string;
  role: "parent" | "category";
  version?: number | undefined;
}

/**
 * Effect: holds a category live until the transaction ends (a concurrent
 * delete waits, then sees what this command added), and checks that it
 * exists, is live and, when `version` is given, has not changed since the
 * decider saw it (a child's path derives from its parent's). The check is
 * the statement's own (es_refuse), so it can go out with COMMIT, or inside
 * the append statement itself (SqlEffects).
 */
export function categoryRequired(ref: CategoryRef, action: Action): EffectStatement {
  const at = `Cannot ${action.text}: ${ref.role}`;
  const field = { field: action.field };
  return {
    sql: `
      SELECT es_refuse(CASE WHEN c.deleted IS NULL THEN 'missing'
        WHEN c.deleted THEN 'deleted' ELSE 'changed' END, c.name)
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
        SELECT name, deleted, version FROM category_lookup WHERE category_id = $1::uuid FOR SHARE
      ) AS c ON true
      WHERE c.deleted IS NULL OR c.deleted OR c.version <> $2::int`,
    params: [ref.id, ref.version ?? null],
    refused: ({ reason, subject }) => {
      switch (reason) {
        case "missing":
          return new NotFoundError(`${at} ${quote(ref.id)} does not exist`, field);
        case "deleted":
          return new PreconditionError(`${at} ${quote(subject)} is deleted`, field);
        case "changed":
          return new ConflictError(
            `${at} ${quote(subject)} changed concurrently; try again`,
            field,
          );
      }
    },
  };
}

/** {@link categoryRequired}, sent now in `tx`. */
export function requireCategory(tx: TxSql, ref: CategoryRef, action: Action): Promise<void> {
  return sendEffect(tx, categoryRequired(ref, action));
}

/** A category's row as the lookup keeps it. */
export interface CategoryRow {
  id: string;
  parentId: string | null;
  name: string;
  /** The stream's version after this append. */
  version: number;
}

/** Effect: records a new category; a live sibling with the same name key refuses it. */
export async function insertCategory(tx: TxSql, row: CategoryRow, action: Action): Promise<void> {
  await uniqueSiblingName(tx, row, action, (sp) =>
    sp`
      INSERT INTO category_lookup (category_id, parent_id, name, name_key, version)
      VALUES (${row.id}, ${row.parentId}, ${row.name}, ${nameKey(row.name)}, ${row.version})`);
}

/** Effect: records a renamed and/or moved category; a live sibling with the same name key refuses it. */
export async function updateCategory(tx: TxSql, row: CategoryRow, action: Action): Promise<void> {
  await uniqueSiblingName(tx, row, action, (sp) =>
    sp`
      UPDATE category_lookup SET parent_id = ${row.parentId}, name = ${row.name},
        name_key = ${nameKey(row.name)}, version = ${row.version}
      WHERE category_id = ${row.id}`);
}

/** Effect: records new stream versions (events that change neither name nor parent). */
export async function setVersions(
  tx: TxSql,
  rows: readonly { id: string; version: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    UPDATE category_lookup c SET version = v.version
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.version)}::int[])
      AS v(id, version)
    WHERE c.category_id = v.id`;
}

/** Effect: marks a category deleted, holding its row so no child or product can join it. */
export async function markCategoryDeleted(tx: TxSql, id: string, version: number): Promise<void> {
  await tx`UPDATE category_lookup SET deleted = true, version = ${version} WHERE category_id = ${id}`;
}

/**
 * Effect: refuses the command when the live subtree of `id` is no longer the
 * one its decision covered (a subcategory was added or removed meanwhile).
 * Run it after writing the subtree's rows, so a racing insert is either
 * visible here or sees their new versions.
 */
export async function requireSubtree(
  tx: TxSql,
  id: string,
  expected: readonly string[],
  action: Action,
): Promise<void> {
  const now = (await liveDescendants(tx, id)).map((d) => d.id).sort();
  const before = [...expected].sort();
  if (now.length !== before.length || now.some((x, i) => x !== before[i])) {
    throw new ConflictError(
      `Cannot ${action.text}: its subcategories changed concurrently; try again`,
      { field: action.field },
    );
  }
}

async function uniqueSiblingName(
  tx: TxSql,
  row: CategoryRow,
  action: Action,
  write: (sp: TxSql) => Promise<unknown>,
): Promise<void> {
  try {
    await tx.savepoint((sp) => write(sp));
  } catch (err) {
    const e = err as { code?: string; constraint_name?: string };
    if (e.code !== "23505" || e.constraint_name !== SIBLING_NAME) throw err;
    const [clash] = await siblingsNamed(tx, row.parentId, row.name);
    throw new AlreadyExistsError(
      clash
        ? `Cannot ${action.text}: a sibling named ${quote(clash.name)} already exists`
        : `Cannot ${action.text}: a sibling already has that name`,
      { field: "name" },
      { cause: err },
    );
  }
}
