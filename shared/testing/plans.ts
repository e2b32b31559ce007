import assert from "node:assert/strict";
import type { Sql } from "@shared/db/connect.ts";
import { pipelinedTransaction } from "@shared/db/transaction.ts";
import type { SentStatement } from "./db.ts";

/** What running a statement cost, from its plan (EXPLAIN ANALYZE). */
interface PlanCost {
  /** Tables the plan read whole (sequential scans). */
  seqScans: string[];
  /** Shared buffers the statement touched (hit or read); NaN when it was not run. */
  blocks: number;
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, depth first. */
function nodes(plan: Record<string, unknown>): Record<string, unknown>[] {
  const children = (plan["Plans"] ?? []) as Record<string, unknown>[];
  return [plan, ...children.flatMap(nodes)];
}

/** A statement that writes: run a second time, it would refuse (or write twice). */
const WRITES = /\b(INSERT|UPDATE|DELETE)\b/i;

/**
 * Runs a recorded statement again under EXPLAIN (ANALYZE, BUFFERS), or only
 * plans it when it writes, with the planner forced to a custom plan (its
 * parameters known) or a generic one (as a prepared statement may end up
 * with), in a transaction rolled back.
 */
async function planOf(
  sql: Sql,
  statement: SentStatement,
  mode: "custom" | "generic",
): Promise<PlanCost> {
  const analyze = !WRITES.test(statement.query);
  let cost: PlanCost | undefined;
  const rollback = new Error("rolled back");
  await pipelinedTransaction(sql, async (tx) => {
    await tx.unsafe(`SET LOCAL plan_cache_mode = force_${mode}_plan`);
    const [row] = await tx.unsafe<{ "QUERY PLAN": Record<string, unknown>[] }[]>(
      `EXPLAIN (${analyze ? "ANALYZE, BUFFERS, " : ""}FORMAT JSON) ${statement.query}`,
      statement.params as never[],
    );
    const plan = row!["QUERY PLAN"][0]!["Plan"] as Record<string, unknown>;
    cost = {
      seqScans: nodes(plan).filter((n) => n["Node Type"] === "Seq Scan").map((n) =>
        String(n["Relation Name"])
      ),
      blocks: analyze
        ? Number(plan["Shared Hit Blocks"]) + Number(plan["Shared Read Blocks"])
        : NaN,
    };
    throw rollback;
  }).catch((err) => {
    if (err !== rollback) throw err;
  });
  if (!cost) throw new Error(`Cannot explain: ${statement.query}`);
  return cost;
}

/**
 * Asserts that every statement, under a custom and under a generic plan,
 * scans none of `tables` whole (no table at all when omitted) and, when it
 * reads (one that writes is only planned), touches fewer than `maxBlocks`
 * shared buffers.
 */
export async function assertReadsLittle(
  sql: Sql,
  statements: readonly SentStatement[],
  limits: { maxBlocks: number; tables?: readonly string[]; label?: string },
): Promise<void> {
  for (const mode of ["custom", "generic"] as const) {
    for (const statement of statements) {
      const what = `${limits.label ?? ""}${mode} plan of ${
        statement.query.replace(/\s+/g, " ").slice(0, 90)
      }…`;
      const cost = await planOf(sql, statement, mode);
      const whole = cost.seqScans.filter((t) => limits.tables?.includes(t) ?? true);
      assert.deepEqual(whole, [], `${what} reads no table whole`);
      if (!Number.isNaN(cost.blocks)) {
        assert.ok(
          cost.blocks < limits.maxBlocks,
          `${what} reads ${cost.blocks} blocks, at most ${limits.maxBlocks} allowed`,
        );
      }
    }
  }
}

/** How many pages a table fills. */
export async function tablePages(sql: Sql, table: string): Promise<number> {
  const [row] = await sql<{ pages: number }[]>`
    SELECT (pg_relation_size(${table}::regclass) / current_setting('block_size')::int)::int AS pages`;
  return row!.pages;
}
