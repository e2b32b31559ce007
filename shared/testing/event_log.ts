import type { RecordedEvent } from "@shared/event_store/mod.ts";

const AT = Date.parse("2026-01-01T00:00:00.000Z");

/** Records events with increasing positions and per-stream versions. */
export class EventLog {
  /** Everything recorded, in global order. */
  readonly events: RecordedEvent[] = [];
  readonly #versions = new Map<string, number>();

  /** Records one event of a stream. */
  record(
    aggregateType: string,
    aggregateId: string,
    type: string,
    data: Record<string, unknown>,
  ): RecordedEvent {
    const version = (this.#versions.get(aggregateId) ?? 0) + 1;
    this.#versions.set(aggregateId, version);
    const n = this.events.length + 1;
    const event: RecordedEvent = {
      position: { transactionId: String(1000 + n), id: String(n) },
      eventId: crypto.randomUUID(),
      aggregateId,
      aggregateType,
      type,
      data,
      metadata: {},
      version,
      schemaVersion: 1,
      createdAt: new Date(AT + n * 1000),
    };
    this.events.push(event);
    return event;
  }

  /** A timestamp after every event so far (one second per event). */
  now(): string {
    return new Date(AT + (this.events.length + 1) * 1000).toISOString();
  }

  /** The events recorded since `mark` (a length of `events` taken earlier). */
  since(mark: number): RecordedEvent[] {
    return this.events.slice(mark);
  }
}
