import type { Sql, TxSql } from "@shared/db/connect.ts";
import { ConflictError, ValidationError } from "@shared/errors/mod.ts";
import { isPgError } from "@shared/db/errors.ts";
import { ConcurrencyError } from "./errors.ts";
import type { PreparedCommand, PreparedEvent } from "./_command.ts";
import {
  appendSql,
  type BatchShape,
  renumber,
  type SingleShape,
  singleSql,
  STREAM_VERSIONS,
} from "./_sql.ts";
import type { EffectStatement, Position, StreamAppendResult } from "./types.ts";

/** What became of one command of a batch. */
export type Outcome =
  | { ok: true; results: StreamAppendResult[] }
  | { ok: false; error: unknown };

interface BatchRow {
  kind: number;
  s: string;
  v: number;
  x: string | null;
  i: string | null;
  r: StoredResult[] | null;
}

/** A command's results as `command_results` keeps them. */
export interface StoredResult {
  streamId: string;
  nextVersion: number;
  positions: [string, string][];
}

/**
 * Runs the batch statement for some commands and works out each one's
 * outcome. Throws only when the statement itself fails; a failed concurrency
 * check is an outcome of its command alone, unless `strict` (see STRICT in
 * _sql.ts): then any write not appended fails the statement. The statement
 * is sent before this returns its promise.
 */
export async function appendStatement(
  sql: Sql | TxSql,
  commands: PreparedCommand[],
  notify?: string,
  strict = false,
): Promise<Outcome[]> {
  if (commands.every((c) => c.writes.length === 0)) {
    return commands.map(() => ({ ok: true, results: [] }));
  }
  const [text, params] = statementOf(commands, notify, strict);
  return await runAppend(sql, commands, text, params);
}

/**
 * A lone command on one stream, with its effects folded into its append
 * statement (see SqlEffects): one statement, strict, its own transaction.
 * Throws when the statement fails: a refusal (of the append or an effect),
 * a conflict, a duplicate, as in a strict {@link appendStatement}.
 */
export async function appendFolded(
  sql: Sql,
  command: PreparedCommand,
  effects: readonly EffectStatement[],
  notify?: string,
): Promise<Outcome> {
  const [text, params] = statementOf([command], notify, true, effects);
  const [outcome] = await runAppend(sql, [command], text, params);
  return outcome!;
}

async function runAppend(
  sql: Sql | TxSql,
  commands: PreparedCommand[],
  text: string,
  params: never[],
): Promise<Outcome[]> {
  // Sent now, not a turn later when `await` gets to it: before any effect made after this call.
  const rows = await sql.unsafe<BatchRow[]>(text, params, { prepare: true }).execute();
  const appended = new Map<string, { version: number; positions: Position[] }>();
  const prior = new Map<string, StoredResult[]>();
  for (const row of rows) {
    if (row.kind === 1) {
      prior.set(row.s, row.r ?? []);
      continue;
    }
    let entry = appended.get(row.s);
    if (!entry) appended.set(row.s, entry = { version: 0, positions: [] });
    entry.version = Math.max(entry.version, row.v);
    entry.positions.push({ transactionId: row.x!, id: row.i! });
  }

  const conflicted = commands.flatMap((c) =>
    c.commandId !== null && prior.has(c.commandId)
      ? []
      : c.writes.filter((w) => !appended.has(w.streamId)).map((w) => w.streamId)
  );
  const actual = new Map<string, number>();
  if (conflicted.length > 0) {
    const found = await sql.unsafe<{ s: string; v: number }[]>(STREAM_VERSIONS, [conflicted]);
    for (const row of found) actual.set(row.s, row.v);
  }

  return commands.map((command): Outcome => {
    const stored = command.commandId === null ? undefined : prior.get(command.commandId);
    if (stored) return { ok: true, results: fromStored(stored) };
    const missing = command.writes.find((w) => !appended.has(w.streamId));
    if (missing) {
      return {
        ok: false,
        error: new ConcurrencyError(
          missing.streamId,
          missing.expectedVersion,
          actual.get(missing.streamId) ?? 0,
        ),
      };
    }
    return {
      ok: true,
      results: command.writes.map((w) => {
        const entry = appended.get(w.streamId)!;
        entry.positions.sort((a, b) => compareIds(a.id, b.id));
        return {
          streamId: w.streamId,
          nextVersion: entry.version,
          positions: entry.positions,
          duplicate: false,
        };
      }),
    };
  });
}

/** A stored command result, as the results of a replayed command. */
export function fromStored(stored: StoredResult[]): StreamAppendResult[] {
  return stored.map((r) => ({
    streamId: r.streamId,
    nextVersion: r.nextVersion,
    positions: r.positions.map(([transactionId, id]) => ({ transactionId, id })),
    duplicate: true,
  }));
}

/** An effect that writes runs as a CTE unread; any other (SELECT, WITH, VALUES) must be read. */
const WRITES = /^\s*(insert|update|delete)\b/i;

const statements = new Map<string, string>();

function cached(key: string, build: () => string): string {
  let text = statements.get(key);
  if (text === undefined) statements.set(key, text = build());
  return text;
}

/** The statement and parameters that append these commands. */
function statementOf(
  commands: PreparedCommand[],
  notify: string | undefined,
  strict: boolean,
  effects: readonly EffectStatement[] = [],
): [string, never[]] {
  const wake = `${strict ? "!" : ""}${notify === undefined ? "" : `:${notify}`}`;
  const only = commands.length === 1 ? commands[0]! : undefined;
  if (effects.length > 0 && only?.writes.length !== 1) {
    throw new TypeError("Only a lone command on one stream folds its effects");
  }
  if (only && only.writes.length === 1) {
    const write = only.writes[0]!;
    const shape: SingleShape = {
      expect: write.expected === 0 ? "create" : write.expected > 0 ? "advance" : "any",
      commandId: only.commandId !== null,
      one: write.events.length === 1,
      strict,
    };
    const events = write.events;
    const pick = <T>(f: (e: PreparedEvent) => T) => shape.one ? f(events[0]!) : events.map(f);
    const key = `1${shape.expect}${+shape.commandId}${+shape.one}${wake}`;
    // The effects' parameters follow the append's ($1 to $9, and $10 with a command id), each
    // effect's after the one before.
    let offset = only.commandId === null ? 9 : 10;
    const text = effects.length === 0 ? cached(key, () => singleSql(shape, notify)) : cached(
      `${key}\u0000${effects.map((e) => `${e.params.length}:${e.sql}`).join("\u0000")}`,
      () =>
        singleSql(
          shape,
          notify,
          effects.map((e) => {
            const folded = { sql: renumber(e.sql, offset), writes: WRITES.test(e.sql) };
            offset += e.params.length;
            return folded;
          }),
        ),
    );
    const params: unknown[] = [
      write.streamId,
      write.aggregateType,
      write.expected,
      events.length,
      only.metadata,
      pick((e) => e.eventId),
      pick((e) => e.type),
      pick((e) => e.data),
      pick((e) => e.schemaVersion),
    ];
    if (only.commandId !== null) params.push(only.commandId);
    for (const effect of effects) params.push(...effect.params);
    return [text, params as never[]];
  }
  const streams: string[] = [];
  const types: string[] = [];
  const expected: number[] = [];
  const counts: number[] = [];
  const commandIds: (string | null)[] = [];
  const metadata: string[] = [];
  const eventIds: string[] = [];
  const ordinals: number[] = [];
  const seqs: number[] = [];
  const eventTypes: string[] = [];
  const payloads: string[] = [];
  const schemas: number[] = [];
  for (const command of commands) {
    for (const write of command.writes) {
      streams.push(write.streamId);
      types.push(write.aggregateType);
      expected.push(write.expected);
      counts.push(write.events.length);
      commandIds.push(command.commandId);
      metadata.push(command.metadata);
      const ordinal = streams.length;
      write.events.forEach((e, i) => {
        eventIds.push(e.eventId);
        ordinals.push(ordinal);
        seqs.push(i + 1);
        eventTypes.push(e.type);
        payloads.push(e.data);
        schemas.push(e.schemaVersion);
      });
    }
  }
  const shape: BatchShape = {
    create: expected.includes(0),
    advance: expected.some((e) => e > 0),
    any: expected.includes(-1),
    commandIds: commands.some((c) => c.commandId !== null),
    strict,
  };
  const key = `n${+shape.create}${+shape.advance}${+shape.any}${+shape.commandIds}`;
  return [cached(key + wake, () => appendSql(shape, notify)), [
    streams,
    types,
    expected,
    counts,
    commandIds,
    metadata,
    eventIds,
    ordinals,
    seqs,
    eventTypes,
    payloads,
    schemas,
  ] as never[]];
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Errors worth running a command again for: a deadlock, a serialisation failure. */
export function isTransient(err: unknown): boolean {
  return isPgError(err) && (err.code === "40P01" || err.code === "40001");
}

/** A concurrent run of the same command id committed first. */
export function isDuplicateCommand(err: unknown): boolean {
  return isPgError(err) && err.code === "23505" &&
    err.constraint_name === "command_results_pkey";
}

/**
 * Maps a server error of one command's own statement to the error its caller
 * should see: a reused event id is a conflict, a payload PostgreSQL cannot
 * store (a NUL character, a lone surrogate) is bad input.
 */
export function commandError(err: unknown): unknown {
  if (!isPgError(err)) return err;
  if (err.code === "23505" && err.constraint_name === "events_event_id_key") {
    const id = /=\(([^)]*)\)/.exec(err.detail ?? "")?.[1] ?? "";
    return new ConflictError(`Event id "${id}" already exists`, { eventId: id }, { cause: err });
  }
  if (err.code.startsWith("22")) {
    return new ValidationError([{ field: "events", message: (err as unknown as Error).message }], {
      cause: err,
    });
  }
  return err;
}

/**
 * Maps what an `effects` callback threw: a raw unique violation becomes a
 * ConflictError naming its constraint; anything else passes unchanged.
 */
export function effectsError(err: unknown): unknown {
  if (isPgError(err) && err.code === "23505") {
    const constraint = err.constraint_name ?? "unknown";
    return new ConflictError(
      `Unique constraint "${constraint}" refused the command: ${err.detail ?? "duplicate value"}`,
      { constraint },
      { cause: err },
    );
  }
  return err;
}
