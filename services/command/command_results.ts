import type { Sql } from "@shared/db/connect.ts";
import { IdempotencyKeyReusedError } from "@shared/errors/mod.ts";
import type { CommandOutcome } from "./commit.ts";
import { canonicalJson, type Envelope } from "./envelope.ts";

/** One stream of a handled command, as the event store's `command_results` keeps it. */
interface StoredStream {
  streamId: string;
  nextVersion: number;
  positions: [string, string][];
}

/**
 * The first result of a command already handled, read from the event
 * store's `command_results` table; undefined when the id is new. The result
 * of `primaryId`'s stream when the command wrote several, else the first,
 * with the answer the first run gave (`state`), which its events' metadata
 * keep. A command id first used with another input (another RPC, other
 * fields) is refused with IdempotencyKeyReusedError: the first command
 * stands, and answering its result would drop this one unseen.
 *
 * EventStore has no public way to read a stored result yet: this is the one
 * query of the command service on event store tables (remove it once the
 * store offers `commandResult(commandId)` with the command's metadata).
 */
export async function storedOutcome(
  sql: Sql,
  envelope: Pick<Envelope, "commandId" | "inputHash">,
  primaryId: string,
): Promise<CommandOutcome | undefined> {
  const rows = await sql<{ result: StoredStream[] }[]>`
    SELECT result FROM command_results WHERE command_id = ${envelope.commandId}`;
  const streams = rows[0]?.result;
  const stream = streams?.find((s) => s.streamId === primaryId) ?? streams?.[0];
  if (!stream) return undefined;
  // Every event of a command carries its metadata: the stream's last one will do.
  const [event] = await sql<{ metadata: { inputHash?: unknown; answer?: unknown } }[]>`
    SELECT event_metadata AS metadata FROM events
    WHERE aggregate_id = ${stream.streamId} AND event_version = ${stream.nextVersion}`;
  const recorded = event?.metadata.inputHash;
  // A command recorded without a hash (sent in-process) cannot be compared: it stands as sent.
  if (
    envelope.inputHash !== undefined && typeof recorded === "string" &&
    recorded !== envelope.inputHash
  ) {
    throw new IdempotencyKeyReusedError(
      `Command id "${envelope.commandId}" was first used with another input: ` +
        "that command stands and this one changed nothing; send a new id for a new command",
      { field: "x-command-id" },
    );
  }
  const [transactionId, position] = stream.positions.at(-1) ?? ["0", "0"];
  const outcome = { id: stream.streamId, version: stream.nextVersion, transactionId, position };
  const answer = event?.metadata.answer;
  return answer === undefined ? outcome : { ...outcome, state: canonicalJson(answer) };
}
