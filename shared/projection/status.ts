import type { Sql } from "@shared/db/connect.ts";
import { ORIGIN, type Position } from "@shared/event_store/mod.ts";
import { countDeadLetters } from "@shared/consumer/dead_letters.ts";
import { measureLag } from "@shared/consumer/lag.ts";
import { type LockHolder, lockHolders } from "@shared/consumer/lease.ts";

/** Where a projection stands, as `deno task projections:status` shows it. */
export interface ProjectionStatus {
  projection: string;
  /** Its checkpoint; null before its first batch. */
  checkpoint: Position | null;
  /** When the checkpoint last moved. */
  updatedAt: Date | null;
  /** Events committed after the checkpoint. */
  lagEvents: number;
  /** Age of the first of them, in seconds; 0 when there is none. */
  lagSeconds: number;
  deadLetters: number;
  /** The replica holding its lease (the one applying it), if any. */
  owner: LockHolder | null;
  /** A rebuild in progress, if any. */
  rebuild: LockHolder | null;
  /** An operation waiting to take the lease over (rebuild, replay), if any. */
  takeover: LockHolder | null;
}

/** The status of the named projections, read from both databases. */
export async function projectionStatus(
  readModel: Sql,
  eventStore: Sql,
  projections: readonly string[],
): Promise<ProjectionStatus[]> {
  const [checkpoints, dead, holders] = await Promise.all([
    readModel<{ projection: string; transaction_id: string; position: string; updated_at: Date }[]>`
      SELECT projection, transaction_id::text, position::text, updated_at
      FROM projection_checkpoints`,
    countDeadLetters(readModel),
    lockHolders(readModel, projections),
  ]);
  const byName = new Map(checkpoints.map((c) => [c.projection, c]));
  const holder = (projection: string, kind: LockHolder["kind"]) =>
    holders.find((h) => h.consumer === projection && h.kind === kind) ?? null;
  return await Promise.all(projections.map(async (projection) => {
    const row = byName.get(projection);
    const checkpoint = row ? { transactionId: row.transaction_id, id: row.position } : null;
    const lag = await measureLag(eventStore, checkpoint ?? ORIGIN);
    return {
      projection,
      checkpoint,
      updatedAt: row?.updated_at ?? null,
      lagEvents: lag.events,
      lagSeconds: lag.seconds,
      deadLetters: dead.get(projection) ?? 0,
      owner: holder(projection, "lease"),
      rebuild: holder(projection, "rebuild"),
      takeover: holder(projection, "takeover"),
    };
  }));
}

function ago(date: Date | null, now: number): string {
  if (!date) return "never";
  const s = Math.max(0, (now - date.getTime()) / 1000);
  if (s < 60) return `${s.toFixed(1)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

function who(h: LockHolder | null): string {
  return h ? `${h.applicationName || "?"} (backend ${h.pid})` : "";
}

/** The status as an aligned text table, one projection per line. */
export function formatStatus(rows: readonly ProjectionStatus[], now = Date.now()): string {
  const head = [
    "projection",
    "checkpoint",
    "moved",
    "lag events",
    "lag s",
    "dead letters",
    "owner",
    "operation",
  ];
  const lines = rows.map((r) => [
    r.projection,
    r.checkpoint ? `${r.checkpoint.transactionId}:${r.checkpoint.id}` : "none",
    ago(r.updatedAt, now),
    String(r.lagEvents),
    r.lagSeconds.toFixed(1),
    String(r.deadLetters),
    who(r.owner) || "none (no projector running)",
    r.rebuild
      ? `rebuilding: ${who(r.rebuild)}`
      : r.takeover
      ? `taking over: ${who(r.takeover)}`
      : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([3, 4, 5]);
  const fmt = (cells: string[]) =>
    cells.map((c, i) => numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))
      .join("  ").trimEnd();
  return [fmt(head), ...lines.map(fmt)].join("\n");
}
