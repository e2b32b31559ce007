import { EventStore, ORIGIN, type Position, type RecordedEvent } from "@shared/event_store/mod.ts";
import { publishChanges } from "@shared/projection/change_feed.ts";
import { writeCheckpoint } from "@shared/projection/checkpoint.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";
import type { Scenario } from "./read_model.ts";
import type { TestDatabases } from "./db.ts";

/**
 * Drives a read model the way the running system does: a scenario's events
 * are appended to the real event store, read back in global order, and
 * applied by every projection.
 */
export class Pipeline {
  readonly store: EventStore;
  readonly #db: TestDatabases;
  #appended = 0;
  #read: Position = ORIGIN;

  constructor(db: TestDatabases) {
    this.#db = db;
    this.store = new EventStore(db.eventStore);
  }

  /** Appends the scenario's events not appended yet; returns the position of the last one. */
  async append(scenario: Scenario): Promise<Position> {
    let last: Position = this.#read;
    for (const event of scenario.events.slice(this.#appended)) {
      const result = await this.store.append(event.aggregateId, [{
        type: event.type,
        data: event.data,
      }], { aggregateType: event.aggregateType, expectedVersion: "any" });
      last = result.positions.at(-1)!;
    }
    this.#appended = scenario.events.length;
    return last;
  }

  /**
   * Applies everything appended so far with every projection, in one batch
   * each, and announces it on the change feed unless `announce` is false.
   */
  async project(options: { announce?: boolean } = {}): Promise<RecordedEvent[]> {
    const events = await this.store.readAll(this.#read, 10_000);
    if (events.length === 0) return events;
    const position = events.at(-1)!.position;
    for (const projection of readModelProjections) {
      await this.#db.readModel.begin(async (tx) => {
        await projection.apply(tx, events);
        await writeCheckpoint(tx, projection.name, position);
        if (options.announce ?? true) {
          await publishChanges(tx, projection.name, position, events);
        }
      });
    }
    this.#read = position;
    return events;
  }

  close(): void {
    this.store.close();
  }
}

/** The consistency token of a position, as a mutation returns it. */
export function tokenOf(position: Position): string {
  return `${position.transactionId}:${position.id}`;
}
