/**
 * Test and benchmark helpers of the projector: a realistic stream of domain
 * events (catalogue, stock, orders and their sagas) appended in bulk,
 * projector processes, waits, and a table-by-table comparison of two read
 * models.
 */
import {
  connect,
  dropDatabase,
  ensureDatabase,
  type Sql,
  withDatabase,
} from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";
import { type EventStore, ORIGIN, type Position } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { readCheckpoints } from "@shared/projection/change_feed.ts";
import { writeCheckpoint } from "@shared/projection/checkpoint.ts";
import { reached } from "@shared/projection/consistency.ts";
import type { Projection } from "@shared/projection/types.ts";

export {
  appendWorkload,
  buildWorkload,
  seedEvents,
  type SeedOptions,
  waitSettled,
  type WorkloadOptions,
} from "./workload.ts";
export { type ProjectorHealth, type ProjectorProcess, spawnProjector } from "./projector.ts";

/**
 * The rows of every table of some projections and their checkpoints, in a
 * stable order, one JSON text per table: equal texts mean equal read models.
 */
export async function readModelTables(
  sql: Sql,
  projections: readonly Projection[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const table of projections.flatMap((p) => p.tables)) {
    const rows = await sql.unsafe<{ rows: string | null }[]>(
      `SELECT string_agg(to_jsonb(t)::text, E'\\n' ORDER BY to_jsonb(t)::text) AS rows
       FROM "${table}" t`,
    );
    out.set(table, rows[0]?.rows ?? "");
  }
  const checkpoints = await sql<{ projection: string; transaction_id: string; position: string }[]>`
    SELECT projection, transaction_id::text, position::text FROM projection_checkpoints
    WHERE projection = ANY(${projections.map((p) => p.name)}) ORDER BY projection`;
  out.set("projection_checkpoints", JSON.stringify(checkpoints));
  return out;
}

/**
 * Waits until every named projection's checkpoint has reached the last
 * event committed to the store, and the head has not moved meanwhile; fails
 * after `timeoutMs`. The head is read again once the projections reach it:
 * right after an append, a head read has been seen to miss the event just
 * committed (cause not found), and the second read catches it.
 */
export async function waitForHead(
  readModel: Sql,
  eventStore: Sql,
  projections: readonly string[],
  timeoutMs = 30_000,
): Promise<Position> {
  const deadline = Date.now() + timeoutMs;
  const readHead = async () => {
    const [last] = await eventStore<{ transaction_id: string; id: string }[]>`
      SELECT transaction_id::text, id::text FROM events
      ORDER BY transaction_id DESC, id DESC LIMIT 1`;
    return last ? { transactionId: last.transaction_id, id: last.id } : ORIGIN;
  };
  let head = await readHead();
  for (;;) {
    await waitForPosition(readModel, projections, head, Math.max(0, deadline - Date.now()));
    const now = await readHead();
    if (reached(head, now)) return head;
    head = now;
  }
}

/**
 * Waits until every named projection's checkpoint has reached `position`
 * (an append's, say); fails after `timeoutMs`.
 */
export async function waitForPosition(
  readModel: Sql,
  projections: readonly string[],
  position: Position,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const checkpoints = await readCheckpoints(readModel);
    const behind = projections.filter((p) => {
      const at = checkpoints.get(p);
      return position.id !== "0" && (!at || !reached(at, position));
    });
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Projections ${
          behind.join(", ")
        } did not reach ${position.transactionId}:${position.id} within ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Projects every event of the store into the empty read model `sql` (a fresh
 * database), all projections side by side, in batches, each with its
 * checkpoint: the read model a fresh rebuild makes, to compare another with.
 */
export async function projectFromScratch(
  store: EventStore,
  sql: Sql,
  projections: readonly Projection[],
  batchSize = 5000,
): Promise<void> {
  await Promise.all(projections.map(async (projection) => {
    let position = ORIGIN;
    for (;;) {
      const batch = await store.readAll(position, batchSize);
      if (batch.length === 0) return;
      position = batch.at(-1)!.position;
      await sql.begin(async (tx) => {
        await projection.apply(tx, batch);
        await writeCheckpoint(tx, projection.name, position);
      });
    }
  }));
}

/**
 * The tables of the read model at `readModelUrl` that differ from a fresh
 * projection of every stored event into a scratch database (made beside it
 * and dropped after): none when nothing was lost or applied twice.
 */
export async function differencesFromFreshRebuild(
  store: EventStore,
  readModelUrl: string,
  projections: readonly Projection[],
): Promise<string[]> {
  const freshUrl = withDatabase(readModelUrl, `${new URL(readModelUrl).pathname.slice(1)}_fresh`);
  await ensureDatabase(freshUrl);
  const fresh = connect(freshUrl, { max: 5 });
  const live = connect(readModelUrl, { max: 1 });
  try {
    await migrate(fresh, "read_model");
    await projectFromScratch(store, fresh, projections);
    const actual = await readModelTables(live, projections);
    const expected = await readModelTables(fresh, projections);
    return [...expected].filter(([table, rows]) => actual.get(table) !== rows).map(([t]) => t);
  } finally {
    await Promise.all([fresh.end(), live.end()]);
    await dropDatabase(freshUrl);
  }
}

/** A logger that writes nothing, for tests whose failures are expected. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
