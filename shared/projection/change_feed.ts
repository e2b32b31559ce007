import { parseJson } from "@shared/runtime/json.ts";
import { sendNotices } from "@shared/consumer/committer.ts";
import type { Notice } from "@shared/consumer/types.ts";
import { startWakeup } from "@shared/consumer/wakeup.ts";
import type { Sql, TxSql } from "@shared/db/connect.ts";
import type { Position, RecordedEvent } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";

/** The NOTIFY channel on the read model database that announces applied batches. */
export const CHANGE_CHANNEL = "read_model_changes";

/** One event of an applied batch, as the change feed tells it. */
export interface ChangedEvent {
  /** Event type, e.g. `ProductCreated`. */
  type: string;
  /** The aggregate's id. */
  id: string;
  /** The order the event concerns, for order and saga events. */
  orderId?: string;
  /** The product the event concerns, for product and inventory events. */
  productId?: string;
  /** The event's own position. */
  position: Position;
}

/** A batch that a projection has committed. */
export interface ChangeNotice {
  projection: string;
  /** The projection's checkpoint after the batch. */
  position: Position;
  events: ChangedEvent[];
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7000;

function describe(event: RecordedEvent): ChangedEvent {
  const { orderId, productId } = event.data as { orderId?: unknown; productId?: unknown };
  return {
    type: event.type,
    id: event.aggregateId,
    ...(typeof orderId === "string" ? { orderId } : {}),
    ...(typeof productId === "string" ? { productId } : {}),
    position: event.position,
  };
}

/**
 * The notices that announce a committed batch on the change feed, to be
 * sent from inside the transaction that applied it, so that listeners hear
 * of it exactly when its effects become visible. A large batch is split
 * over several notices; each carries the checkpoint.
 */
export function changeNotices(
  projection: string,
  position: Position,
  events: RecordedEvent[],
): Notice[] {
  const payloads: string[] = [];
  let chunk: ChangedEvent[] = [];
  let size = 0;
  const flush = () => {
    payloads.push(JSON.stringify({ projection, position, events: chunk } satisfies ChangeNotice));
    chunk = [];
    size = 0;
  };
  for (const event of events) {
    const described = describe(event);
    const bytes = JSON.stringify(described).length + 1;
    if (size + bytes > MAX_PAYLOAD - 200 && chunk.length > 0) flush();
    chunk.push(described);
    size += bytes;
  }
  flush();
  return payloads.map((payload) => ({ channel: CHANGE_CHANNEL, payload }));
}

/** Announces a committed batch from inside its transaction (see {@link changeNotices}). */
export async function publishChanges(
  tx: TxSql,
  projection: string,
  position: Position,
  events: RecordedEvent[],
): Promise<void> {
  await sendNotices(tx, changeNotices(projection, position, events));
}

/** Listeners of the change feed. */
export interface ChangeListener {
  /** A batch was committed. */
  onChange(notice: ChangeNotice): void;
  /**
   * The LISTEN connection was (re)established; notices may have been missed
   * before it, so `checkpoints` gives every projection's current position.
   */
  onSync(checkpoints: Map<string, Position>): void;
}

/** Every projection's checkpoint. */
export async function readCheckpoints(sql: Sql): Promise<Map<string, Position>> {
  const rows = await sql<{ projection: string; transaction_id: string; position: string }[]>`
    SELECT projection, transaction_id::text, position::text FROM projection_checkpoints`;
  return new Map(
    rows.map((r) => [r.projection, { transactionId: r.transaction_id, id: r.position }]),
  );
}

/** Options of {@link followChanges}. */
export interface FollowChangesOptions {
  /** Application name of the LISTEN connection; default `change-feed`. */
  applicationName?: string;
  /** First delay before the LISTEN connection is made again after a drop; default 100 ms. */
  retryMs?: number;
  logger?: Logger;
}

/** A running follower of the change feed. */
export interface ChangeFollower {
  /** Whether the LISTEN connection is up (notices may be missed while it is not). */
  readonly listening: boolean;
  stop(): Promise<void>;
}

/**
 * Follows the change feed of the read model database at `url`, on the
 * consumer runtime's wake-up: a LISTEN connection of its own, checked by a
 * ping and re-established with back-off for as long as it takes. After each
 * (re)connection the listener is resynchronised with the current
 * checkpoints, read through `sql`.
 */
export function followChanges(
  url: string,
  sql: Sql,
  listener: ChangeListener,
  options: FollowChangesOptions = {},
): ChangeFollower {
  const wakeup = startWakeup(url, {
    channel: CHANGE_CHANNEL,
    applicationName: options.applicationName ?? "change-feed",
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  wakeup.onWake((payload) => {
    if (payload === undefined) {
      readCheckpoints(sql).then((c) => listener.onSync(c), () => {});
      return;
    }
    try {
      listener.onChange(parseJson(payload) as ChangeNotice);
    } catch {
      // A malformed notice is ignored; the next sync corrects any drift.
    }
  });
  return {
    get listening() {
      return wakeup.listening;
    },
    stop: () => wakeup.stop(),
  };
}
