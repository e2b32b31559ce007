import { AckPolicy, type ConsumerMessages, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { IntegrationEvent } from "@shared/integration/mod.ts";

/**
 * An example of another bounded context: a notifications service that tells
 * customers their order is confirmed. It reads the integration events from a
 * durable JetStream consumer (so it resumes where it stopped), de-duplicates
 * them by message id (delivery is at least once: a message whose ack was lost
 * comes again), and records an "order confirmed" notice for each
 * `order.confirmed`. It keeps its state in memory; a real one keeps the seen
 * ids and the notices in one table, written in one transaction.
 */

/** A notice for a customer. */
export interface Notice {
  orderId: string;
  /** When the order was confirmed (the event's `occurredAt`). */
  confirmedAt: string;
}

/** Options of {@link startNotifications}. */
export interface NotificationsOptions {
  /** The JetStream stream of the integration events. */
  stream: string;
  /** The durable consumer's name; created when missing. */
  durable: string;
  /** Subjects it reads; default every one of the stream. */
  filterSubject?: string;
  /** Called with every event handled (after de-duplication), e.g. to measure lag. */
  onEvent?: (event: IntegrationEvent) => void;
}

/** A running notifications consumer. */
export interface Notifications {
  readonly notices: readonly Notice[];
  /** Ids of the events handled, in the order handled, each once. */
  readonly handled: readonly string[];
  /** Deliveries dropped as repeats of an event already handled. */
  readonly repeats: number;
  /** Messages that are not integration events, acknowledged and dropped. */
  readonly rejected: number;
  stop(): Promise<void>;
}

/** Starts reading the integration events on `nc`. */
export async function startNotifications(
  nc: NatsConnection,
  options: NotificationsOptions,
): Promise<Notifications> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(options.stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
  });
  const consumer = await jetstream(nc).consumers.get(options.stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 1000 });
  const seen = new Set<string>();
  const notices: Notice[] = [];
  const handled: string[] = [];
  let repeats = 0;
  let rejected = 0;
  const loop = (async () => {
    for await (const m of messages) {
      let parsed: ReturnType<typeof IntegrationEvent.safeParse>;
      try {
        parsed = IntegrationEvent.safeParse(m.json());
      } catch {
        parsed = IntegrationEvent.safeParse(undefined);
      }
      if (!parsed.success) {
        rejected++;
        m.term();
        continue;
      }
      const event = parsed.data as IntegrationEvent;
      const id = m.headers?.get("Nats-Msg-Id") || event.id;
      if (seen.has(id)) {
        repeats++;
      } else {
        seen.add(id);
        handled.push(id);
        if (event.type === "order.confirmed") {
          notices.push({ orderId: event.aggregateId, confirmedAt: event.occurredAt });
        }
        options.onEvent?.(event);
      }
      m.ack();
    }
  })();
  return {
    notices,
    handled,
    get repeats() {
      return repeats;
    },
    get rejected() {
      return rejected;
    },
    async stop() {
      await messages.close();
      await loop;
    },
  };
}
