import { pipelinedTransaction } from "@shared/db/transaction.ts";
import type { TxSql } from "@shared/db/connect.ts";
import { ORIGIN } from "@shared/event_store/mod.ts";
import type { EventStore, Position, RecordedEvent } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import {
  createShadowTables,
  dropShadow,
  finishShadowTables,
  ident,
  rebuildSchemas,
  swapShadowTables,
} from "./_shadow.ts";
import { describeError, isTransient } from "@shared/consumer/isolate.ts";
import { publishChanges } from "./change_feed.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { headPosition } from "@shared/consumer/lag.ts";
import { Lease, openLeaseSession } from "@shared/consumer/lease.ts";
import { BATCH_SETTINGS } from "./worker.ts";
import type { Projection } from "./types.ts";

/** Options of {@link rebuildProjection}. */
export interface RebuildOptions {
  store: EventStore;
  readModelUrl: string;
  /** Events per read and per transaction; default 5000. */
  batchSize?: number;
  /** How long to wait for the live owner to hand the lease over; default 30000 ms. */
  takeoverTimeoutMs?: number;
  logger?: Logger;
  /** Application name of the rebuild's session; default `projections-rebuild/<pid>`. */
  applicationName?: string;
}

/** How a rebuild went. */
export interface RebuildResult {
  projection: string;
  /** Events read and applied. */
  events: number;
  /** The checkpoint the projection continues from. */
  position: Position;
  /** Milliseconds in all, and per phase. */
  ms: number;
  phases: {
    /** Filling the shadow tables, with only their unique indexes. */
    bulkMs: number;
    /** Making them logged, building the other indexes, ANALYZE. */
    finishMs: number;
    /** Catching up with the events appended meanwhile. */
    catchUpMs: number;
    /** From taking the lease (the live projection paused) to the swap's commit. */
    pausedMs: number;
  };
}

/** A rebuild that failed: a poison event, or a swap that could not be made. */
export class RebuildError extends Error {
  override readonly name = "RebuildError";
  /** The event the handler threw on, when it was one. */
  readonly event: RecordedEvent | undefined;

  constructor(message: string, options: { cause?: unknown; event?: RecordedEvent } = {}) {
    super(message, { cause: options.cause });
    this.event = options.event;
  }
}

/**
 * Rebuilds a projection from the first event without stopping it
 * (blue-green). Its tables are re-created empty in a schema of their own
 * and filled from the whole event stream while the old ones keep serving
 * reads and the live owner keeps applying new events to them. Close to the
 * head, the rebuild takes the projection's lease over (the owner hands it
 * over between two batches), applies the last events, and in one
 * transaction moves the new tables in place of the old ones, sets the
 * checkpoint and clears the projection's dead letters. Then it lets the
 * lease go, and the live projection carries on from the rebuilt checkpoint.
 *
 * A handler that throws fails the rebuild (no dead letters here), naming
 * the event; the old tables are left as they were.
 */
export async function rebuildProjection(
  projection: Projection,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5000;
  const log = options.logger?.child({ projection: projection.name });
  const session = openLeaseSession(
    options.readModelUrl,
    options.applicationName ?? `projections-rebuild/${Deno.pid}`,
  );
  const lease = new Lease(session, projection.name);
  const schemas = rebuildSchemas(projection.name);
  let created = false;
  try {
    if (!(await lease.tryLock("rebuild"))) {
      throw new RebuildError(`A rebuild of projection "${projection.name}" is already running`);
    }
    const [{ live } = { live: "public" }] = await session<{ live: string }[]>`
      SELECT current_schema() AS live`;
    const shadowTables = await createShadowTables(session, live, schemas.shadow, projection.tables);
    created = true;
    const settings = {
      ...BATCH_SETTINGS,
      search_path: `${ident(schemas.shadow)}, ${ident(live)}`,
    };
    let position = ORIGIN;
    let events = 0;
    let fenced = false;

    const apply = async (batch: RecordedEvent[]) => {
      try {
        await pipelinedTransaction(session, async (tx) => {
          if (fenced) await lease.fence(tx, settings);
          else await setLocal(tx, settings);
          await projection.apply(tx, batch);
        });
      } catch (err) {
        if (isTransient(err)) throw err;
        throw await poison(batch, err);
      }
      position = batch.at(-1)!.position;
      events += batch.length;
    };
    // Finds the event the handler throws on, in a transaction rolled back.
    const poison = async (batch: RecordedEvent[], batchError: unknown) => {
      let culprit: { event: RecordedEvent; error: unknown } | undefined;
      await pipelinedTransaction(session, async (tx) => {
        await setLocal(tx, settings);
        for (const event of batch) {
          try {
            await tx.savepoint((sp) => projection.apply(sp, [event]));
          } catch (error) {
            culprit = { event, error };
            break;
          }
        }
        throw new Error("rolled back");
      }).catch(() => {});
      const { event, error } = culprit ?? { event: undefined, error: batchError };
      const where = event
        ? ` at event ${event.position.transactionId}:${event.position.id} (${event.type} ${event.eventId})`
        : "";
      return new RebuildError(
        `Cannot rebuild projection "${projection.name}"${where}: ${describeError(error)}`,
        { cause: error, ...(event ? { event } : {}) },
      );
    };
    const types = projection.eventTypes;
    const read = (after: Position) => {
      const page = types
        ? options.store.readByType([...types], { after, limit: batchSize })
        : options.store.readAll(after, batchSize);
      page.catch(() => {}); // awaited in turn, or dropped when the batch before failed
      return page;
    };
    // Reads ahead while a batch is applied; returns once a read comes back short. Reading
    // by type, the events skipped are passed too: every event up to the head seen before
    // the first read was visible to every read after it (see headPosition).
    const catchUp = async () => {
      const head = types ? await headPosition(options.store.sql) : ORIGIN;
      let next = read(position);
      for (;;) {
        const batch = await next;
        if (batch.length === batchSize) next = read(batch.at(-1)!.position);
        if (batch.length > 0) await apply(batch);
        if (batch.length < batchSize) break;
      }
      if (after(head, position)) position = head;
    };

    await catchUp();
    const bulkDone = performance.now();
    log?.info("shadow tables filled", { events, ms: Math.round(bulkDone - started) });
    await finishShadowTables(session, schemas.shadow, projection.tables, shadowTables);
    const finished = performance.now();
    await catchUp();
    const caughtUp = performance.now();
    await lease.takeOver(options.takeoverTimeoutMs ?? 30_000);
    const paused = performance.now();
    fenced = true;
    await catchUp();
    await swap(session, lease, projection, live, schemas, position);
    const swapped = performance.now();
    log?.info("swapped in", { events, position, pausedMs: Math.round(swapped - paused) });
    return {
      projection: projection.name,
      events,
      position,
      ms: Math.round(swapped - started),
      phases: {
        bulkMs: Math.round(bulkDone - started),
        finishMs: Math.round(finished - bulkDone),
        catchUpMs: Math.round(caughtUp - finished),
        pausedMs: Math.round(swapped - paused),
      },
    };
  } catch (err) {
    if (created) await dropShadow(session, schemas.shadow).catch(() => {});
    throw err;
  } finally {
    await lease.release().catch(() => {});
    await session.end({ timeout: 5 });
  }
}

async function setLocal(tx: TxSql, settings: Readonly<Record<string, string>>): Promise<void> {
  const names = Object.keys(settings);
  await tx`
    SELECT set_config(s.name, s.value, true)
    FROM unnest(${names}::text[], ${names.map((n) => settings[n]!)}::text[]) AS s(name, value)`;
}

function after(a: Position, b: Position): boolean {
  const ax = BigInt(a.transactionId), bx = BigInt(b.transactionId);
  return ax > bx || (ax === bx && BigInt(a.id) > BigInt(b.id));
}

/**
 * The swap's transaction. It waits at most 100 ms for its locks, well under
 * PostgreSQL's deadlock timeout, so a reader caught in a lock cycle with it is
 * never the one cancelled: the swap gives way and is tried again, up to 100
 * times, a little later each time.
 */
async function swap(
  session: Lease["sql"],
  lease: Lease,
  projection: Projection,
  live: string,
  schemas: { shadow: string; retired: string },
  position: Position,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await pipelinedTransaction(session, async (tx) => {
        await lease.fence(tx, { lock_timeout: "100ms" });
        await swapShadowTables(tx, live, schemas, projection.tables);
        await writeCheckpoint(tx, projection.name, position);
        await tx`DELETE FROM projection_dead_letters WHERE projection = ${projection.name}`;
        await publishChanges(tx, projection.name, position, []);
      });
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== "55P03" && code !== "40P01") || attempt === 100) {
        throw new RebuildError(
          `Cannot swap the rebuilt tables of projection "${projection.name}" in: ${
            describeError(err)
          }`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(10 * attempt, 200) * Math.random()));
    }
  }
}
