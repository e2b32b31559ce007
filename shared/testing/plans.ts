import type { Sql } from "@shared/db/connect.ts";
import type { SentStatement } from "./db.ts";

/** What running a statement cost, from its plan (EXPLAIN ANALYZE). */
export interface PlanCost {
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

/**
 * Runs a recorded statement again under EXPLAIN (ANALYZE, BUFFERS), or only
 * plans it when `analyze` is false (a write that would fail the second time), with
 * the planner forced to a custom plan (its parameters known) or a generic one
 * (as a prepared statement may end up with), in a transaction rolled back.
 */
export async function planOf(
  sql: Sql,
  statement: SentStatement,
  mode: "custom" | "generic",
  options: { analyze?: boolean } = {},
): Promise<PlanCost> {
  const analyze = options.analyze ?? true;
  let cost: PlanCost | undefined;
  const rollback = new Error("rolled back");
  await sql.begin(async (tx) => {
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

/** How many pages a table fills. */
export async function tablePages(sql: Sql, table: string): Promise<number> {
  const [row] = await sql<{ pages: number }[]>`
    SELECT (pg_relation_size(${table}::regclass) / current_setting('block_size')::int)::int AS pages`;
  return row!.pages;
}
