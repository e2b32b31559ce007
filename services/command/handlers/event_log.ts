import { eventLog } from "@proto/command/v1/contract.ts";
import type { EventStore, RecordedEvent } from "@shared/event_store/mod.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { readHistory, stateJson, stepAsOf } from "./history.ts";

function toStored(e: RecordedEvent) {
  return {
    position: `${e.position.transactionId}:${e.position.id}`,
    transactionId: e.position.transactionId,
    eventId: e.eventId,
    aggregateId: e.aggregateId,
    aggregateType: e.aggregateType,
    eventType: e.type,
    version: e.version,
    schemaVersion: e.schemaVersion,
    data: JSON.stringify(e.data),
    metadata: JSON.stringify(e.metadata),
    createdAt: e.createdAt.toISOString(),
  };
}

/**
 * The audit trail over the event store: one stream in version order, or the
 * global order (optionally of one event type), a page at a time; and one
 * aggregate's history with its state after every event (time travel).
 */
export function eventLogHandlers(store: EventStore): ServiceBinding {
  return bind(eventLog, {
    async listEvents({ aggregateId, eventType, after, limit = 100 }) {
      const [transactionId, id] = (after ?? "0:0").split(":") as [string, string];
      let events: RecordedEvent[];
      if (aggregateId) {
        const from = after ? Number(id) + 1 : 1;
        events = (await store.readStream(aggregateId, { from, limit }))
          .filter((e) => !eventType || e.type === eventType);
      } else if (eventType) {
        events = await store.readByType(eventType, { after: { transactionId, id }, limit });
      } else {
        events = await store.readAll({ transactionId, id }, limit);
      }
      const last = events.at(-1);
      const nextAfter = events.length < limit || !last
        ? undefined
        : aggregateId
        ? `0:${last.version}`
        : `${last.position.transactionId}:${last.position.id}`;
      return { events: events.map(toStored), ...(nextAfter ? { nextAfter } : {}) };
    },
    async aggregateHistory({ aggregateId, asOfVersion, asOf }) {
      const history = await readHistory(store, aggregateId);
      const step = stepAsOf(history.steps, {
        ...(asOfVersion !== undefined ? { version: asOfVersion } : {}),
        ...(asOf !== undefined ? { at: new Date(asOf) } : {}),
      });
      return {
        aggregateType: history.aggregateType,
        entries: history.steps.map((s) => ({
          event: toStored(s.event),
          state: stateJson(s.state),
        })),
        version: step?.event.version ?? 0,
        state: stateJson(step?.state ?? null),
        truncated: history.truncated,
      };
    },
  }) as ServiceBinding;
}
