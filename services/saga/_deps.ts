import type { StateCache } from "@shared/application/states.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import type { CommandSender } from "./_commands.ts";

/** What the saga runner works with: its own streams, the clock, and the command service. */
export interface SagaDeps {
  /** The event store, where the saga keeps its own streams (it owns them). */
  store: EventStore;
  /** The saga states this worker folded, so that each input reads only the events since. */
  states?: StateCache;
  /** The time inputs are stamped with, as ISO 8601 UTC. */
  now(): string;
  /** The command service, which runs every command the saga decides. */
  commands: CommandSender;
}
