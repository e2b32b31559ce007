import type { Sql, TxSql } from "@shared/db/connect.ts";
import { ConcurrencyError, EventTooLargeError } from "./errors.ts";
import type { AppendOptions, AppendResult, NewEvent, Position, RecordedEvent } from "./types.ts";
import { upcast, type Upcasters } from "./upcast.ts";

/** Options of an {@link EventStore}. */
export interface EventStoreOptions {
  /** Largest accepted event payload, in bytes of JSON; default 1 MiB. */
  maxEventBytes?: number;
  /** Upcasters applied to every event read. */
  upcasters?: Upcasters;
  /** Channel of the payload-free wake-up NOTIFY; default `events`. */
  notifyChannel?: string;
  /** At most one NOTIFY per this many milliseconds per process; default 5. */
  notifyIntervalMs?: number;
}

interface EventRow {
  id: string;
  transaction_id: string;
  event_id: string;
  aggregate_id: string;
  aggregate_type: string;
  event_type: string;
  event_data: Record<string, unknown>;
  event_metadata: Record<string, unknown>;
  event_version: number;
  schema_version: number;
  created_at: Date;
}

const columns =
  "id::text, transaction_id::text, event_id, aggregate_id, aggregate_type, event_type, event_data, event_metadata, event_version, schema_version, created_at";

/** Thrown inside the append transaction when a concurrent append used the same command id. */
class DuplicateCommand extends Error {}

/**
 * The PostgreSQL event store: appends with optimistic concurrency and command
 * idempotency, and reads streams and the gap-safe global order.
 */
export class EventStore {
  readonly sql: Sql;
  readonly #maxEventBytes: number;
  readonly #upcasters: Upcasters;
  readonly #channel: string;
  readonly #notifyIntervalMs: number;
  #notifyTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(sql: Sql, options: EventStoreOptions = {}) {
    this.sql = sql;
    this.#maxEventBytes = options.maxEventBytes ?? 1024 * 1024;
    this.#upcasters = options.upcasters ?? {};
    this.#channel = options.notifyChannel ?? "events";
    this.#notifyIntervalMs = options.notifyIntervalMs ?? 5;
  }

  /** Appends events to one stream atomically; see {@link AppendOptions}. */
  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const payloads = events.map((e) => {
      const json = JSON.stringify(e.data);
      const bytes = new TextEncoder().encode(json).length;
      if (bytes > this.#maxEventBytes) {
        throw new EventTooLargeError(e.type, bytes, this.#maxEventBytes);
      }
      return json;
    });
    if (options.commandId) {
      const previous = await this.#commandResult(options.commandId);
      if (previous) return previous;
    }
    if (events.length === 0) {
      const version = await this.streamVersion(streamId);
      return { nextVersion: version, positions: [], duplicate: false };
    }
    try {
      const result = await this.sql.begin(async (tx) => {
        const next = await this.#claimVersion(tx, streamId, events.length, options);
        const first = next - events.length + 1;
        const metadata = JSON.stringify({ ...options.metadata, commandId: options.commandId });
        const rows = await tx.unsafe<{ id: string; transaction_id: string }[]>(
          `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_data,
              event_metadata, event_version, schema_version)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[],
              $6::jsonb[], $7::int[], $8::int[])
           RETURNING id::text, transaction_id::text`,
          [
            events.map((e) => e.eventId ?? crypto.randomUUID()),
            events.map(() => streamId),
            events.map(() => options.aggregateType),
            events.map((e) => e.type),
            payloads,
            events.map(() => metadata),
            events.map((_, i) => first + i),
            events.map((e) => e.schemaVersion ?? this.#upcasters[e.type]?.current ?? 1),
          ],
        );
        const appended: AppendResult = {
          nextVersion: next,
          positions: rows.map((r) => ({ transactionId: r.transaction_id, id: r.id })),
          duplicate: false,
        };
        if (options.commandId) {
          const saved = await tx`
            INSERT INTO command_results (command_id, result)
            VALUES (${options.commandId}, ${tx.json(appended as never)})
            ON CONFLICT DO NOTHING RETURNING 1`;
          if (saved.length === 0) throw new DuplicateCommand();
        }
        return appended;
      });
      this.#scheduleNotify();
      return result;
    } catch (err) {
      if (err instanceof DuplicateCommand && options.commandId) {
        const previous = await this.#commandResult(options.commandId);
        if (previous) return previous;
      }
      throw err;
    }
  }

  async #claimVersion(
    tx: TxSql,
    streamId: string,
    count: number,
    options: AppendOptions,
  ): Promise<number> {
    const { expectedVersion: expected, aggregateType } = options;
    let rows: { version: number }[];
    if (expected === "any") {
      rows = await tx`
        INSERT INTO streams (aggregate_id, aggregate_type, version)
        VALUES (${streamId}, ${aggregateType}, ${count})
        ON CONFLICT (aggregate_id) DO UPDATE SET version = streams.version + ${count}
        RETURNING version`;
    } else if (expected === "no_stream" || expected === 0) {
      rows = await tx`
        INSERT INTO streams (aggregate_id, aggregate_type, version)
        VALUES (${streamId}, ${aggregateType}, ${count})
        ON CONFLICT (aggregate_id) DO NOTHING
        RETURNING version`;
    } else {
      rows = await tx`
        UPDATE streams SET version = version + ${count}
        WHERE aggregate_id = ${streamId} AND version = ${expected}
        RETURNING version`;
    }
    const row = rows[0];
    if (row) return row.version;
    const actual = await tx<{ version: number }[]>`
      SELECT version FROM streams WHERE aggregate_id = ${streamId}`;
    throw new ConcurrencyError(streamId, expected, actual[0]?.version ?? 0);
  }

  async #commandResult(commandId: string): Promise<AppendResult | undefined> {
    const rows = await this.sql<{ result: AppendResult }[]>`
      SELECT result FROM command_results WHERE command_id = ${commandId}`;
    const row = rows[0];
    return row ? { ...row.result, duplicate: true } : undefined;
  }

  /** The current version of a stream; 0 when it does not exist. */
  async streamVersion(streamId: string): Promise<number> {
    const rows = await this.sql<{ version: number }[]>`
      SELECT version FROM streams WHERE aggregate_id = ${streamId}`;
    return rows[0]?.version ?? 0;
  }

  /** Reads a stream from a version (inclusive), forward or backward. */
  async readStream(
    streamId: string,
    options: { from?: number; direction?: "forward" | "backward"; limit?: number } = {},
  ): Promise<RecordedEvent[]> {
    const backward = options.direction === "backward";
    const from = options.from ?? (backward ? 2147483647 : 1);
    const rows = await this.sql.unsafe<EventRow[]>(
      `SELECT ${columns} FROM events
       WHERE aggregate_id = $1 AND event_version ${backward ? "<=" : ">="} $2
       ORDER BY event_version ${backward ? "DESC" : "ASC"} LIMIT $3`,
      [streamId, from, options.limit ?? 2147483647],
    );
    return rows.map((r) => this.#toRecorded(r));
  }

  /**
   * Reads the global order after a position, gap-safely: only events of
   * transactions older than every transaction still running are returned,
   * so an event that commits late is never skipped.
   */
  async readAll(after: Position, limit = 1000): Promise<RecordedEvent[]> {
    const rows = await this.sql.unsafe<EventRow[]>(
      `SELECT ${columns} FROM events
       WHERE (transaction_id, id) > ($1::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, id LIMIT $3`,
      [after.transactionId, after.id, limit],
    );
    return rows.map((r) => this.#toRecorded(r));
  }

  #toRecorded(row: EventRow): RecordedEvent {
    const lifted = upcast(this.#upcasters, {
      type: row.event_type,
      schemaVersion: row.schema_version,
      data: row.event_data,
    });
    return {
      position: { transactionId: row.transaction_id, id: row.id },
      eventId: row.event_id,
      aggregateId: row.aggregate_id,
      aggregateType: row.aggregate_type,
      type: lifted.type,
      data: lifted.data,
      metadata: row.event_metadata,
      version: row.event_version,
      schemaVersion: lifted.schemaVersion,
      createdAt: row.created_at,
    };
  }

  #scheduleNotify(): void {
    if (this.#notifyTimer !== undefined || this.#closed) return;
    this.#notifyTimer = setTimeout(() => {
      this.#notifyTimer = undefined;
      if (this.#closed) return;
      this.sql`SELECT pg_notify(${this.#channel}, '')`.catch(() => {
        // A lost wake-up only delays readers: they also poll.
      });
    }, this.#notifyIntervalMs);
  }

  /** Stops pending wake-ups; the connection pool belongs to the caller. */
  close(): void {
    this.#closed = true;
    if (this.#notifyTimer !== undefined) clearTimeout(this.#notifyTimer);
    this.#notifyTimer = undefined;
  }
}
