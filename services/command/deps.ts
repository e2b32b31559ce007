import { DEFAULT_SAGA_OPTIONS, type SagaOptions } from "@shared/domain/order_saga/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import type { CallGuard } from "@shared/grpc/guard.ts";
import { commandsFor } from "@shared/application/command.ts";
import type { PipelineDeps } from "@shared/application/pipeline.ts";
import { StateCache } from "@shared/application/states.ts";
import { KeyedLock } from "@shared/runtime/keyed_lock.ts";
import { approvingGateway, bookingCarrier, type Carrier, type PaymentGateway } from "./ports.ts";

/** What every command of this service runs with: the pipeline's needs and the ports. */
export interface CommandDeps extends PipelineDeps {
  paymentGateway: PaymentGateway;
  carrier: Carrier;
  /** Timeouts recorded when a saga starts. */
  sagaOptions: SagaOptions;
}

/** Declares a command of this service (see shared/application/command.ts). */
export const defineCommand = commandsFor<CommandDeps>();

/** Events folded into the aggregate states a command service keeps in memory, by default. */
export const DEFAULT_STATE_CACHE_EVENTS = 200_000;

/**
 * Builds the dependencies of the commands; unset ports always succeed.
 * Without a `guard`, only in-process commands (the saga's) can run.
 */
export function commandDeps(
  store: EventStore,
  options:
    & Partial<Omit<CommandDeps, "store" | "streamLocks" | "guard" | "states">>
    & { guard?: CallGuard; stateCacheEvents?: number } = {},
): CommandDeps {
  const stateCacheEvents = options.stateCacheEvents ?? DEFAULT_STATE_CACHE_EVENTS;
  return {
    store,
    now: options.now ?? (() => new Date().toISOString()),
    paymentGateway: options.paymentGateway ?? approvingGateway,
    carrier: options.carrier ?? bookingCarrier,
    sagaOptions: options.sagaOptions ?? DEFAULT_SAGA_OPTIONS,
    streamLocks: new KeyedLock(),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(stateCacheEvents > 0 ? { states: new StateCache(stateCacheEvents) } : {}),
  };
}
