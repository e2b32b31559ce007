import type { ConsumerHandler } from "@shared/consumer/mod.ts";
import type { RecordedEvent } from "@shared/event_store/mod.ts";
import { type IntegrationEvent, toIntegrationEvent } from "@shared/integration/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import type { Publisher } from "./_jetstream.ts";

/** What the relay has done since it started, for /health and the benchmark. */
export interface RelayStats {
  published: number;
  /** Publishes the broker dropped as repeats: events sent again after a crash. */
  duplicates: number;
  /** Recorded events that do not fit the public contract, skipped and logged. */
  skipped: number;
}

/** Options of {@link relayHandler}. */
export interface RelayHandlerOptions {
  /** The consumer's name: its checkpoint's and its lease's. */
  name: string;
  publisher: Publisher;
  logger: Logger;
  stats: RelayStats;
}

/**
 * The relay as a consumer's handler: it maps each event of a batch to its
 * integration event and publishes them before the runtime commits the
 * checkpoint past the batch, so a crash in between publishes them again
 * (at least once; the broker's de-duplication makes it once). Each
 * aggregate's events are published one after another, each after the
 * previous one's acknowledgement, so they are stored in stream order even
 * when a publish is retried; different aggregates go concurrently.
 */
export function relayHandler(options: RelayHandlerOptions): ConsumerHandler {
  const { publisher, logger, stats } = options;
  const map = (event: RecordedEvent): IntegrationEvent | null => {
    try {
      return toIntegrationEvent(event);
    } catch (err) {
      // Never publish half of the contract, nor stop every other event for one.
      stats.skipped++;
      logger.error("event not published", { eventId: event.eventId, error: err });
      return null;
    }
  };
  return {
    name: options.name,
    async apply(_tx, events) {
      const byAggregate = new Map<string, IntegrationEvent[]>();
      for (const event of events) {
        const published = map(event);
        if (!published) continue;
        const list = byAggregate.get(published.aggregateId);
        if (list) list.push(published);
        else byAggregate.set(published.aggregateId, [published]);
      }
      // Every chain ends before the batch fails, so none publishes behind its retry.
      const outcomes = await Promise.allSettled([...byAggregate.values()].map(async (list) => {
        for (const event of list) {
          const ack = await publisher.publish(event);
          stats.published++;
          if (ack.duplicate) stats.duplicates++;
        }
      }));
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}
