import { checkpointTable, type ConsumerProcess, runConsumerProcess } from "@shared/consumer/mod.ts";
import { connect } from "@shared/db/connect.ts";
import { processApplicationName } from "@shared/db/pool_metrics.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore, type Position } from "@shared/event_store/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { relayHandler, type RelayStats } from "./_handler.ts";
import { openPublisher, type Publisher } from "./_jetstream.ts";

/** The relay's checkpoints, beside the events (migrations/event_store/120_relay.sql). */
export const RELAY_CHECKPOINTS = checkpointTable("relay_checkpoints", "name");

/** Options of {@link startRelay}. */
export interface RelayOptions {
  eventStoreUrl: string;
  natsUrl: string;
  /** JetStream stream of the integration events; default `INTEGRATION_EVENTS`. */
  stream?: string;
  /** First subject token; default `cqrs`. */
  prefix?: string;
  /** The consumer's name (checkpoint and lease); default `integration_relay`. */
  name?: string;
  /** The stream's duplicate window when the relay creates it; default 2 min. */
  duplicateWindowMs?: number;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** Polling interval without a wake-up, and retry interval of a failed batch; default 500 ms. */
  pollMs?: number;
  /** How often a standby replica tries the lease; default 1000 ms. */
  leaseCheckMs?: number;
  /** Port of /health and /metrics; 0 picks a free one, undefined serves none. */
  httpPort?: number;
  hostname?: string;
  logger: Logger;
}

/** A running relay replica. */
export interface Relay {
  httpPort: number | undefined;
  /** The last event published and checkpointed. */
  readonly position: Position;
  /** Whether this replica holds the lease. */
  readonly owned: boolean;
  readonly stats: Readonly<RelayStats>;
  stop(): Promise<void>;
}

/**
 * Starts a replica of the integration-event relay (transactional outbox:
 * the event store is the outbox) on the consumer runtime: the replica that
 * holds the lease follows the global order from its checkpoint and publishes
 * each event the outside world is told about to JetStream, then commits the
 * checkpoint; the others stand by.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { logger } = options;
  const applicationName = processApplicationName("relay");
  const sql = connect(options.eventStoreUrl, { max: 4, applicationName });
  let publisher: Publisher | undefined;
  let running: ConsumerProcess | undefined;
  const stats: RelayStats = { published: 0, duplicates: 0, skipped: 0 };
  const store = new EventStore(sql, { upcasters });
  try {
    // Fail fast on an event store that is unreachable or not migrated.
    await sql`SELECT 1 FROM relay_checkpoints LIMIT 0`;
    publisher = await openPublisher({
      url: options.natsUrl,
      stream: options.stream ?? "INTEGRATION_EVENTS",
      prefix: options.prefix ?? "cqrs",
      ...(options.duplicateWindowMs ? { duplicateWindowMs: options.duplicateWindowMs } : {}),
    });
    const pollMs = options.pollMs ?? 500;
    running = await runConsumerProcess({
      handler: relayHandler({
        name: options.name ?? "integration_relay",
        publisher,
        logger,
        stats,
      }),
      checkpoints: RELAY_CHECKPOINTS,
      databaseUrl: options.eventStoreUrl,
      sql,
      store,
      applicationName,
      wakeupName: "relay-wakeup",
      batchSize: options.batchSize ?? 500,
      pollMs,
      // Nothing is skipped for the broker's sake: a failed batch is retried until it passes.
      deadLetters: false,
      maxRetryMs: Math.max(pollMs, 1000),
      ...(options.leaseCheckMs === undefined ? {} : { leaseCheckMs: options.leaseCheckMs }),
      logger,
      httpPort: options.httpPort,
      hostname: options.hostname,
      health: () => ({ ...stats }),
    });
  } catch (err) {
    await publisher?.close();
    store.close();
    await sql.end({ timeout: 5 });
    throw err;
  }
  const consumer = running;
  const broker = publisher;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await consumer.stop();
    await broker.close();
    store.close();
    await sql.end({ timeout: 5 });
  };
  return {
    httpPort: consumer.httpPort,
    get position() {
      return consumer.position;
    },
    get owned() {
      return consumer.consumer.state.owned;
    },
    stats,
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
