import type { Sql } from "@shared/db/connect.ts";
import type { CommandOutcome } from "./commit.ts";

/** One stream of a handled command, as the event store's `command_results` keeps it. */
interface StoredStream {
  streamId: string;
  nextVersion: number;
  positions: [string, string][];
}

/**
 * The first result of a command already handled, read from the event
 * store's `command_results` table; undefined when the id is new. The result
 * of `primaryId`'s stream when the command wrote several, else the first.
 *
 * EventStore has no public way to read a stored result yet: this is the one
 * query of the command service on an event store table (remove it once the
 * store offers `commandResult(commandId)`).
 */
export async function storedOutcome(
  sql: Sql,
  commandId: string,
  primaryId: string,
): Promise<CommandOutcome | undefined> {
  const rows = await sql<{ result: StoredStream[] }[]>`
    SELECT result FROM command_results WHERE command_id = ${commandId}`;
  const streams = rows[0]?.result;
  const stream = streams?.find((s) => s.streamId === primaryId) ?? streams?.[0];
  if (!stream) return undefined;
  const [transactionId, position] = stream.positions.at(-1) ?? ["0", "0"];
  return { id: stream.streamId, version: stream.nextVersion, transactionId, position };
}
