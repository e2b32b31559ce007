import { DEFAULT_SAGA_OPTIONS, type SagaOptions } from "@shared/domain/order_saga/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import { KeyedLock } from "@shared/runtime/keyed_lock.ts";
import { approvingGateway, bookingCarrier, type Carrier, type PaymentGateway } from "./ports.ts";

/** What every command function runs with. */
export interface CommandDeps {
  store: EventStore;
  /** The time commands are stamped with, as ISO 8601 UTC. */
  now(): string;
  paymentGateway: PaymentGateway;
  carrier: Carrier;
  /** Timeouts recorded when a saga starts. */
  sagaOptions: SagaOptions;
  /** Queues internal commands per stream within this process. */
  streamLocks: KeyedLock;
}

/** Builds the dependencies of the command functions; unset ports always succeed. */
export function commandDeps(
  store: EventStore,
  options: Partial<Omit<CommandDeps, "store" | "streamLocks">> = {},
): CommandDeps {
  return {
    store,
    now: options.now ?? (() => new Date().toISOString()),
    paymentGateway: options.paymentGateway ?? approvingGateway,
    carrier: options.carrier ?? bookingCarrier,
    sagaOptions: options.sagaOptions ?? DEFAULT_SAGA_OPTIONS,
    streamLocks: new KeyedLock(),
  };
}
