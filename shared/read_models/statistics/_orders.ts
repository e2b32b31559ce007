import type { TxSql } from "@shared/db/connect.ts";
import type { OrderEvent } from "@shared/domain/order/types.ts";
import type { EventHandlers } from "../common/batch.ts";
import { centsOf } from "../common/money.ts";
import { records } from "../common/sql.ts";

const byOrder = (event: { data: { id: string } }) => String(event.data.id);

/** Moves orders to a new status, and their count and total between the status counters. */
async function moveStatus(
  tx: TxSql,
  rows: { id: string; status: string; version: number }[],
): Promise<void> {
  await tx`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${records(tx, rows)})
        AS x(id uuid, status text, version int)),
    before AS (
      SELECT o.status, o.total_cents FROM stats_orders o JOIN input i ON o.id = i.id
      WHERE o.version < i.version),
    after AS (
      UPDATE stats_orders o SET status = i.status, version = i.version
      FROM input i WHERE o.id = i.id AND o.version < i.version
      RETURNING o.status, o.total_cents),
    delta AS (
      SELECT status, -1 AS n, -total_cents AS total FROM before
      UNION ALL SELECT status, 1, total_cents FROM after)
    INSERT INTO stats_order_status AS s (status, order_count, total_cents)
    SELECT status, sum(n), sum(total) FROM delta GROUP BY status
    ON CONFLICT (status) DO UPDATE SET order_count = s.order_count + EXCLUDED.order_count,
      total_cents = s.total_cents + EXCLUDED.total_cents`;
}

/** Order events as the statistics need them: orders and totals per status. */
export const orderStatisticsHandlers: EventHandlers<OrderEvent> = {
  OrderCreated: {
    key: byOrder,
    statement(tx, events) {
      const rows = events.map((e) => {
        const d = e.data;
        return {
          id: d.id,
          status: d.status,
          total_cents: centsOf(d.total, "OrderCreated.total"),
          version: e.version,
        };
      });
      return tx`
        WITH added AS (
          INSERT INTO stats_orders (id, status, total_cents, version)
          SELECT id, status, total_cents, version
          FROM jsonb_to_recordset(${records(tx, rows)})
            AS x(id uuid, status text, total_cents bigint, version int)
          ON CONFLICT (id) DO NOTHING
          RETURNING status, total_cents)
        INSERT INTO stats_order_status AS s (status, order_count, total_cents)
        SELECT status, count(*), sum(total_cents) FROM added GROUP BY status
        ON CONFLICT (status) DO UPDATE SET order_count = s.order_count + EXCLUDED.order_count,
          total_cents = s.total_cents + EXCLUDED.total_cents`;
    },
  },
  OrderStatusChanged: {
    key: byOrder,
    apply: (tx, events) =>
      moveStatus(
        tx,
        events.map((e) => {
          const d = e.data;
          return { id: d.id, status: d.to, version: e.version };
        }),
      ),
  },
  OrderCancelled: {
    key: byOrder,
    apply: (tx, events) =>
      moveStatus(
        tx,
        events.map((e) => ({
          id: e.data.id,
          status: "cancelled",
          version: e.version,
        })),
      ),
  },
};
