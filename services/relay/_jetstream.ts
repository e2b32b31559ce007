import { jetstream, type JetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { IntegrationEvent } from "@shared/integration/mod.ts";
import { subjectOf } from "@shared/integration/mod.ts";

/** Options of {@link openPublisher}. */
export interface PublisherOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** The JetStream stream that holds the integration events; created when missing. */
  stream: string;
  /** First token of every subject: `<prefix>.<aggregate>.<event>`. */
  prefix: string;
  /** How long the broker remembers a message id to drop a repeat; default 2 min. */
  duplicateWindowMs?: number;
  /** How long to wait for the broker's acknowledgement of one publish; default 5 s. */
  ackTimeoutMs?: number;
}

/** Publishes integration events to a JetStream stream, each acknowledged by the broker. */
export interface Publisher {
  /** Resolves once the broker stored the event, or knew its id already (a duplicate). */
  publish(event: IntegrationEvent): Promise<{ seq: number; duplicate: boolean }>;
  close(): Promise<void>;
}

/**
 * Connects to NATS and makes sure the stream exists, capturing
 * `<prefix>.>` with the given duplicate window. Each event is published with
 * `Nats-Msg-Id` = its id, so a publish repeated after a crash within the
 * window is stored once.
 */
export async function openPublisher(options: PublisherOptions): Promise<Publisher> {
  const nc: NatsConnection = await connect({
    servers: options.url.split(",").map((s) => s.trim()),
    name: "relay",
    maxReconnectAttempts: -1,
  });
  try {
    const jsm = await jetstreamManager(nc);
    const windowNs = (options.duplicateWindowMs ?? 120_000) * 1_000_000;
    try {
      await jsm.streams.info(options.stream);
    } catch {
      await jsm.streams.add({
        name: options.stream,
        subjects: [`${options.prefix}.>`],
        duplicate_window: windowNs,
      });
    }
  } catch (err) {
    await nc.close();
    throw err;
  }
  const js: JetStreamClient = jetstream(nc, { timeout: options.ackTimeoutMs ?? 5000 });
  const encoder = new TextEncoder();
  return {
    async publish(event) {
      const ack = await js.publish(
        subjectOf(options.prefix, event.type),
        encoder.encode(JSON.stringify(event)),
        { msgID: event.id, expect: { streamName: options.stream } },
      );
      return { seq: ack.seq, duplicate: ack.duplicate };
    },
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}
