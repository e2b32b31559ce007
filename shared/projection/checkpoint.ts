import type { Sql, TxSql } from "@shared/db/connect.ts";
import { checkpointTable } from "@shared/consumer/checkpoint.ts";
import type { Position } from "@shared/event_store/mod.ts";

/** The projections' checkpoints, in the read model: `projection_checkpoints`, keyed by name. */
export const PROJECTION_CHECKPOINTS = checkpointTable("projection_checkpoints", "projection");

/** Reads a projection's checkpoint; the origin when it has none yet. */
export function readCheckpoint(sql: Sql, projection: string): Promise<Position> {
  return PROJECTION_CHECKPOINTS.read(sql, projection);
}

/** Advances a projection's checkpoint, inside the transaction that applied the events. */
export function writeCheckpoint(tx: TxSql, projection: string, position: Position): Promise<void> {
  return PROJECTION_CHECKPOINTS.write(tx, projection, position);
}
