import type { z } from "zod";
import type { Principal } from "@shared/auth/mod.ts";
import { fold } from "@shared/domain/shared/decider.ts";
import type { AppendEffects, EventStore } from "@shared/event_store/mod.ts";
import { protoMethodName, type ServiceContract } from "@shared/grpc/contract.ts";
import { type Aggregate, type DomainEvent, load, type Loaded } from "./aggregates.ts";
import { type CommandOutcome, commit, type Write } from "./commit.ts";
import type { Envelope } from "./envelope.ts";
import type { StateCache } from "./states.ts";

/** The RPC a command serves: its access rule's name, its contract key and its input schema. */
export interface CommandRpc<I> {
  /** `<proto service>/<Method>`, as the access policy names it. */
  name: string;
  /** The contract's key (`createCategory`), hashed with the input for idempotency. */
  key: string;
  /** What the contract accepts. */
  input: z.ZodType<I>;
}

/** The RPC `key` of a command contract, for a declaration's `rpc`. */
export function rpcOf<S extends ServiceContract, K extends keyof S["methods"] & string>(
  contract: S,
  key: K,
): CommandRpc<z.output<S["methods"][K]["input"]>> {
  return {
    name: `${contract.service}/${protoMethodName(key)}`,
    key,
    input: contract.methods[key]!.input as z.ZodType<z.output<S["methods"][K]["input"]>>,
  };
}

/** What every command runs with; a service's own dependencies (its ports) extend it. */
export interface ApplicationDeps {
  store: EventStore;
  /** The aggregate states this process keeps; none kept when absent. */
  states?: StateCache;
  /** The time commands are stamped with, as ISO 8601 UTC. */
  now(): string;
}

/** What a declaration's `load` gets. */
export interface LoadContext<D, S> {
  deps: D;
  envelope: Envelope;
  /** The command's own stream. */
  streamId: string;
  /**
   * That stream, being loaded (the state kept of it, or its snapshot, and the
   * events since) while `load` reads the rest.
   */
  self: Promise<Loaded<S>>;
}

/** What a decide returns when it writes more than its own stream. */
export interface Decision<E> {
  /** The events of the command's own stream. */
  events: E[];
  /** Other streams written in the same transaction (all or nothing). */
  writes?: Write[];
}

/** The command's stream as loaded (0: no stream), with what the declaration's `load` read. */
export type LoadedStream<S, X> = Loaded<S> & { streamId: string; with: X };

/** A command after its decision, for its answer and its transaction's effects. */
export interface Decided<I, S, E, X> {
  input: I;
  envelope: Envelope;
  loaded: LoadedStream<S, X>;
  /** The events decided for the command's stream. */
  events: E[];
  /** The state of the command's stream after them. */
  after: S;
  /** The other streams it writes. */
  writes: Write[];
}

/**
 * A command, declared: what it writes and how it decides; the pipeline
 * (see `dispatch`) runs the steps around it.
 */
export interface CommandDeclaration<D, I, S, E extends DomainEvent, X> {
  /** The RPC it serves. */
  rpc: CommandRpc<I>;
  /** The aggregate of its stream. */
  aggregate: Aggregate<S, E, never, unknown>;
  /** Its stream, whose result a retried command id returns. */
  stream(input: I, envelope: Envelope): string;
  /**
   * A check of the caller against the input, after the access policy let
   * it call the RPC: a customer acting for another customer.
   */
  authorize?(input: I, actor: Principal): void;
  /**
   * What the decision needs besides its own stream: other streams, the
   * write-side lookups, the answers of outside systems (the ports). It runs
   * beside the lookup of the command id, except for a `step`, whose load may
   * ask an outside system: only a step's load may.
   */
  load?(input: I, context: LoadContext<D, S>): Promise<X>;
  /** The decision: the domain decider's events on the loaded state. Pure. */
  decide(input: I, loaded: LoadedStream<S, X>, envelope: Envelope): E[] | Decision<E>;
  /** What the command answers with, in the shape of the query view. */
  view?(decided: Decided<I, S, E, X>): unknown;
  /** SQL run in the append's transaction (the lookup tables); see AppendEffects. */
  effects?(decided: Decided<I, S, E, X>): AppendEffects | undefined;
  /**
   * Runs again on the new state after a concurrent write to its stream, even
   * for a caller over gRPC: for a command that a concurrent one can only have
   * made a no-op (starting a saga the worker has just started).
   */
  rerunOnConflict?: boolean;
  /**
   * A saga's step, sent by a service under the step's own command id: the
   * call must name that id (x-command-id), and the step runs as an
   * in-process command does, queued per stream and run again on a
   * concurrent write, so a race never refuses it.
   */
  step?: boolean;
}

/** A declared command, ready for the pipeline. */
export interface Command<D, I> {
  readonly rpc: CommandRpc<I>;
  readonly rerunOnConflict: boolean;
  readonly step: boolean;
  streamOf(input: I, envelope: Envelope): string;
  authorize(input: I, actor: Principal): void;
  /**
   * Loads, decides and commits once; the pipeline runs it again after a
   * conflict. With `handled` (the command id's first outcome, being looked
   * up), the loads run beside that lookup, and a first outcome found is
   * answered instead, whatever the loads found.
   */
  attempt(
    deps: D,
    input: I,
    envelope: Envelope,
    streamId: string,
    handled?: Promise<CommandOutcome | undefined>,
  ): Promise<CommandOutcome>;
}

/**
 * Declares a command for deps of type `D`: `commandsFor<CommandDeps>()`
 * gives the `defineCommand` of a service.
 */
export function commandsFor<D extends ApplicationDeps>() {
  return function defineCommand<I, S, E extends DomainEvent, X = undefined>(
    declaration: CommandDeclaration<D, I, S, E, X>,
  ): Command<D, I> {
    const { aggregate } = declaration;
    return {
      rpc: declaration.rpc,
      rerunOnConflict: declaration.rerunOnConflict === true,
      step: declaration.step === true,
      streamOf: (input, envelope) => declaration.stream(input, envelope),
      authorize: (input, actor) => declaration.authorize?.(input, actor),
      async attempt(deps, input, envelope, streamId, handled) {
        const self = load(deps, aggregate, streamId);
        const loading = (async () =>
          await Promise.all([
            self,
            declaration.load?.(input, { deps, envelope, streamId, self }),
          ]))();
        if (handled) {
          loading.catch(() => {}); // a command handled before answers as it did, found or not
          const stored = await handled;
          if (stored) return stored;
        }
        const [loaded, read] = await loading;
        const withRead: LoadedStream<S, X> = { ...loaded, streamId, with: read as X };
        const decision = declaration.decide(input, withRead, envelope);
        const { events, writes = [] } = Array.isArray(decision) ? { events: decision } : decision;
        // The state after the events is folded only if the view or the effects read it: a saga
        // step reads neither, and folding copies a state as large as its stream's history.
        let after: { state: S } | undefined;
        const decided: Decided<I, S, E, X> = {
          input,
          envelope,
          loaded: withRead,
          events,
          get after() {
            after ??= { state: fold(aggregate, events, { from: loaded.state }) };
            return after.state;
          },
          writes,
        };
        const own: Write = {
          streamId,
          aggregateType: aggregate.type,
          events,
          loadedVersion: loaded.version,
        };
        const { view, effects } = declaration;
        return await commit(deps.store, [own, ...writes], {
          envelope,
          effects: effects?.(decided),
          ...(view ? { view: () => view(decided) } : {}),
        });
      },
    };
  };
}
