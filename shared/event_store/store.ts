import type { Sql } from "@shared/db/connect.ts";
import { prepareCommand, type PrepareContext } from "./_command.ts";
import { GroupCommitter } from "./_group_commit.ts";
import { fromStored, type StoredResult } from "./_statement.ts";
import { EVENT_COLUMNS, type EventRow, SETTLED, toRecorded, unsettled } from "./_rows.ts";
import { EventStoreClosedError } from "./errors.ts";
import type {
  AllPage,
  AppendManyOptions,
  AppendOptions,
  AppendResult,
  EventMetadata,
  HandledCommand,
  NewEvent,
  Position,
  ReadPageOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppendResult,
  StreamWrite,
} from "./types.ts";
import type { Upcasters } from "./upcast.ts";
import { WakeUps } from "./_wakeups.ts";

/**
 * A page of the global order beside the unsettled check: one row per event,
 * each with the flag, or a single row of NULLs with it when there is none.
 * `ON true` leaves PostgreSQL only a nested loop, whose outer side is the
 * one row of the check: the page's rows come out in the page's order.
 *
 * The check looks at the last event of the global order only (one step down
 * the index): it is unsettled and after the position exactly when some event
 * is, since every unsettled event comes after every settled one. Written as
 * an EXISTS over the whole order instead, the planner may take a sequential
 * scan that reads the entire table on every poll, and does so whenever the
 * table has no statistics (autovacuum off, or not yet run).
 */
const READ_ALL_PAGE = `
  SELECT page.*, horizon.unsettled
  FROM (SELECT ${EVENT_COLUMNS} FROM events
        WHERE (transaction_id, id) > ($1::xid8, $2::bigint) AND ${SETTLED}
        ORDER BY events.transaction_id, events.id LIMIT $3) page
  RIGHT JOIN (SELECT EXISTS (
        SELECT 1 FROM (SELECT transaction_id, id FROM events
                       ORDER BY transaction_id DESC, id DESC LIMIT 1) last
        WHERE (last.transaction_id, last.id) > ($1::xid8, $2::bigint)
          AND ${unsettled("last")}) AS unsettled
  ) horizon ON true`;

/** Options of an {@link EventStore}. */
export interface EventStoreOptions {
  /** Largest accepted event payload, in bytes of JSON; default 1 MiB. */
  maxEventBytes?: number;
  /** Upcasters applied to every event read. */
  upcasters?: Upcasters;
  /** Refuse to read event types that no upcaster lists; default false (they pass through). */
  rejectUnknownTypes?: boolean;
  /** Channel of the payload-free wake-up NOTIFY; default `events`. */
  notifyChannel?: string;
  /** At most one NOTIFY per this many milliseconds per process; default 5. */
  notifyIntervalMs?: number;
  /** Most events one group-commit transaction carries; default 2000. */
  maxBatchEvents?: number;
  /** Group-commit transactions in flight at once; default 2. */
  maxConcurrentBatches?: number;
  /**
   * Appends with effects or several streams one group-commit batch carries:
   * they share one transaction, or, when one of them fails, each runs in a
   * transaction of its own; default 32.
   */
  maxComplexCommands?: number;
}

const MAX_INT = 2147483647;

/** A row of {@link READ_FROM_SNAPSHOT}: the snapshot's columns beside an event's (null: none). */
type SnapshotAndEventRow = EventRow & {
  snapshot_data: { state: unknown } | null;
  snapshot_version: number | null;
};

/**
 * The latest snapshot of a stream at a state schema and the events after it.
 * One row at least (event columns null when no event follows); the snapshot's
 * JSON rides on the first row only (versions are contiguous), its version on
 * every row.
 */
const READ_FROM_SNAPSHOT = `
WITH s AS MATERIALIZED (
  SELECT snapshot_data, snapshot_version FROM snapshots
  WHERE aggregate_id = $1::uuid AND state_schema = $2::int
  ORDER BY snapshot_version DESC LIMIT 1)
SELECT
  CASE WHEN e.event_version IS NULL OR e.event_version = COALESCE(s.snapshot_version, 0) + 1
    THEN s.snapshot_data END AS snapshot_data,
  s.snapshot_version, e.*
FROM (SELECT 1) AS one
LEFT JOIN s ON true
LEFT JOIN LATERAL (
  SELECT ${EVENT_COLUMNS} FROM events
  WHERE aggregate_id = $1::uuid AND event_version > COALESCE(s.snapshot_version, 0)
  ORDER BY event_version) AS e ON true
ORDER BY e.event_version`;

/**
 * The PostgreSQL event store: appends with optimistic concurrency and command
 * idempotency, batched by group commit, and reads streams and the gap-safe
 * global order.
 */
export class EventStore {
  /** The pool the store runs on; it belongs to the caller. */
  readonly sql: Sql;
  readonly #context: PrepareContext;
  readonly #rejectUnknownTypes: boolean;
  readonly #channel: string;
  readonly #wakeUps: WakeUps;
  readonly #committer: GroupCommitter;
  #closed = false;

  constructor(sql: Sql, options: EventStoreOptions = {}) {
    this.sql = sql;
    this.#context = {
      maxEventBytes: options.maxEventBytes ?? 1024 * 1024,
      upcasters: options.upcasters ?? {},
    };
    this.#rejectUnknownTypes = options.rejectUnknownTypes ?? false;
    this.#channel = options.notifyChannel ?? "events";
    this.#wakeUps = new WakeUps(options.notifyIntervalMs ?? 5, () => {
      // A NOTIFY makes its transaction take an id and commit, which would wait for a WAL
      // flush like an append; this one need not be durable, so it does not wait.
      this
        .sql`SELECT set_config('synchronous_commit', 'off', true), pg_notify(${this.#channel}, '')`
        .catch(() => {
          // A lost wake-up only delays readers: they also poll.
        });
    });
    this.#committer = new GroupCommitter(sql, {
      maxBatchEvents: options.maxBatchEvents ?? 2000,
      maxConcurrentBatches: options.maxConcurrentBatches ?? 2,
      maxComplexCommands: options.maxComplexCommands ?? 32,
      wakeUp: () => this.#wakeUps.due() ? this.#channel : undefined,
      onCommitted: (carriedSince) => this.#wakeUps.committed(carriedSince),
    });
  }

  /** Group-commit counters: batches run and commands carried. */
  get stats(): { readonly batches: number; readonly commands: number } {
    return this.#committer.stats;
  }

  /**
   * Appends events to one stream atomically; see {@link AppendOptions}.
   * Concurrent appends share transactions, each keeping its own check.
   */
  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const write = {
      streamId,
      aggregateType: options.aggregateType,
      events,
      expectedVersion: options.expectedVersion,
    };
    const results = await this.#submit([write], options, options.effects);
    const result = results.find((r) => r.streamId === streamId.toLowerCase()) ?? results[0];
    if (!result) {
      return { nextVersion: await this.streamVersion(streamId), positions: [], duplicate: false };
    }
    return {
      nextVersion: result.nextVersion,
      positions: result.positions,
      duplicate: result.duplicate,
    };
  }

  /**
   * Appends to several streams in one transaction: all or nothing, with one
   * concurrency check per stream. Returns each stream's result, in order.
   */
  async appendMany(
    writes: StreamWrite[],
    options: AppendManyOptions = {},
  ): Promise<StreamAppendResult[]> {
    const results = await this.#submit(writes, options, options.effects);
    // A write of no events appends nothing: it reports its stream as it is.
    return await Promise.all(
      writes.map(async (w) =>
        results.find((r) => r.streamId === w.streamId.toLowerCase()) ?? {
          streamId: w.streamId.toLowerCase(),
          nextVersion: await this.streamVersion(w.streamId),
          positions: [],
          duplicate: results[0]?.duplicate ?? false,
        }
      ),
    );
  }

  async #submit(
    writes: StreamWrite[],
    options: AppendManyOptions,
    effects: AppendManyOptions["effects"],
  ): Promise<StreamAppendResult[]> {
    if (this.#closed) throw new EventStoreClosedError("Cannot append: the event store is closed");
    const command = prepareCommand(writes, options, effects, this.#context);
    // Nothing to append and nothing to run: no transaction needed.
    const nonEmpty = command.writes.filter((w) => w.events.length > 0);
    if (nonEmpty.length === 0 && !effects) return [];
    command.writes = nonEmpty;
    return await this.#committer.submit(command);
  }

  /**
   * The first result of a command already handled, one entry per stream it
   * wrote (marked `duplicate`); undefined when the command id is new.
   */
  async commandResult(commandId: string): Promise<StreamAppendResult[] | undefined>;
  /**
   * The same, with the metadata the command's events were appended with (the
   * same on every event of a command): what a handler recorded beside its
   * events, such as the hash of the command's input.
   */
  async commandResult(
    commandId: string,
    options: { withMetadata: true },
  ): Promise<HandledCommand | undefined>;
  async commandResult(
    commandId: string,
    options: { withMetadata?: boolean } = {},
  ): Promise<StreamAppendResult[] | HandledCommand | undefined> {
    if (!options.withMetadata) {
      const rows = await this.sql<{ result: StoredResult[] }[]>`
        SELECT result FROM command_results WHERE command_id = ${commandId}`;
      return rows[0] ? fromStored(rows[0].result) : undefined;
    }
    // The last event the command appended to its first stream carries its metadata.
    const rows = await this.sql<{ result: StoredResult[]; metadata: EventMetadata | null }[]>`
      SELECT r.result, e.event_metadata AS metadata
      FROM command_results r
      LEFT JOIN events e
        ON e.aggregate_id = (r.result->0->>'streamId')::uuid
        AND e.event_version = (r.result->0->>'nextVersion')::int
      WHERE r.command_id = ${commandId}`;
    const row = rows[0];
    return row ? { streams: fromStored(row.result), metadata: row.metadata ?? {} } : undefined;
  }

  /** The current version of a stream; 0 when it does not exist. */
  async streamVersion(streamId: string): Promise<number> {
    const rows = await this.sql<{ version: number }[]>`
      SELECT version FROM streams WHERE aggregate_id = ${streamId}`;
    return rows[0]?.version ?? 0;
  }

  /** Reads a stream from a version (inclusive), forward or backward. */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backward = options.direction === "backward";
    const from = options.from ?? (backward ? MAX_INT : 1);
    const rows = await this.sql.unsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE aggregate_id = $1 AND event_version ${backward ? "<=" : ">="} $2
       ORDER BY event_version ${backward ? "DESC" : "ASC"} LIMIT $3`,
      [streamId, from, options.limit ?? MAX_INT],
      { prepare: true },
    );
    return rows.map((r) => this.#toRecorded(r));
  }

  /**
   * A stream's latest snapshot taken at a state schema (its JSON as saved,
   * and its version) and the stream's events after it, in one round trip:
   * what loading an aggregate needs. No snapshot: every event.
   */
  async readFromSnapshot(
    streamId: string,
    stateSchema: number,
  ): Promise<
    { snapshot: { data: unknown; version: number } | undefined; events: RecordedEvent[] }
  > {
    const rows = await this.sql.unsafe<SnapshotAndEventRow[]>(
      READ_FROM_SNAPSHOT,
      [streamId, stateSchema],
      { prepare: true },
    );
    const first = rows[0];
    const snapshot = first?.snapshot_version != null
      ? { data: first.snapshot_data?.state, version: first.snapshot_version }
      : undefined;
    const events = rows.filter((r) => r.id !== null).map((r) => this.#toRecorded(r));
    return { snapshot, events };
  }

  /**
   * Reads the global order after a position, gap-safely: only events of
   * transactions older than every transaction still running are returned,
   * so an event that commits late is never skipped.
   */
  async readAll(after: Position, limit = 1000): Promise<RecordedEvent[]> {
    return await this.#readPage("TRUE", [], { after, limit });
  }

  /**
   * {@link readAll}, and in the same statement (one snapshot) whether events
   * after `after` are committed but not yet readable: what a consumer asks
   * after each short page, without a round trip of its own.
   */
  async readAllPage(after: Position, limit = 1000): Promise<AllPage> {
    const rows = await this.sql.unsafe<(EventRow & { unsettled: boolean })[]>(
      READ_ALL_PAGE,
      [after.transactionId, after.id, limit] as never[],
      { prepare: true },
    );
    const events: RecordedEvent[] = [];
    for (const row of rows) if (row.id !== null) events.push(this.#toRecorded(row));
    return { events, unsettled: rows[0]?.unsettled ?? false };
  }

  /** Reads events of some types in global order, gap-safely, after a position. */
  async readByType(
    types: string | string[],
    options: ReadPageOptions = {},
  ): Promise<RecordedEvent[]> {
    const list = typeof types === "string" ? [types] : types;
    return await this.#readPage("event_type = ANY($4::text[])", [list], options);
  }

  /**
   * Reads events recorded in `[from, to)` in global order, gap-safely, after
   * a position. The time is the appending transaction's start.
   */
  async readByTimeRange(
    range: { from: Date; to: Date },
    options: ReadPageOptions = {},
  ): Promise<RecordedEvent[]> {
    return await this.#readPage(
      "created_at >= $4::timestamptz AND created_at < $5::timestamptz",
      [range.from, range.to],
      options,
    );
  }

  async #readPage(
    filter: string,
    params: unknown[],
    options: ReadPageOptions,
  ): Promise<RecordedEvent[]> {
    const after = options.after ?? { transactionId: "0", id: "0" };
    const rows = await this.sql.unsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE (transaction_id, id) > ($1::xid8, $2::bigint) AND ${SETTLED} AND ${filter}
       ORDER BY events.transaction_id, events.id LIMIT $3`,
      [after.transactionId, after.id, options.limit ?? 1000, ...params] as never[],
      { prepare: true },
    );
    return rows.map((r) => this.#toRecorded(r));
  }

  #toRecorded(row: EventRow): RecordedEvent {
    return toRecorded(row, this.#context.upcasters, {
      rejectUnknownTypes: this.#rejectUnknownTypes,
    });
  }

  /**
   * Stops pending wake-ups and refuses further appends; appends already
   * queued still complete. The connection pool belongs to the caller.
   */
  close(): void {
    this.#closed = true;
    this.#wakeUps.close();
  }
}
