import type { z } from "zod";
import type { Rule } from "@shared/auth/policy.ts";
import type { Principal } from "@shared/auth/principal.ts";

/**
 * How an RPC may be retried and how long it may take: `read` for single
 * reads, `list` for lists and searches, `command` for writes (safe to repeat
 * because each carries a command id).
 */
export type RpcKind = "read" | "list" | "command";

/**
 * How an RPC is called: its kind, and who may call it. Every RPC declares
 * its access rule here, beside its schemas, so none can be served without one.
 */
export interface RpcTerms {
  kind: RpcKind;
  /**
   * Who may call it (docs/security.md): the call guard of the server that
   * binds the contract refuses anyone else before the input is read.
   */
  access: Rule;
  /** What the RPC does, for the generated `.proto` and GraphQL schema. */
  doc?: string;
  /**
   * A command's answer: the query view its result's `state` is shaped as
   * (the entity it created or changed); none when it answers with no
   * entity (a delete). The gateway's mutation returns that view's type.
   */
  answers?: z.ZodType;
}

/** The contract of one RPC: how it is called and who may call it, what goes in, what comes out. */
export interface RpcContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType>
  extends RpcTerms {
  input: I;
  output: O;
}

/** The contract of one proto service: its fully qualified name and its RPCs by camelCase name. */
export interface ServiceContract<
  M extends Record<string, RpcContract> = Record<string, RpcContract>,
> {
  /** Fully qualified proto service name, e.g. `cqrs.command.v1.CategoryCommands`. */
  service: string;
  /** The `.proto` file generated with it (see proto_text.ts), relative to `proto/`. */
  protoFile: string;
  methods: M;
}

/** Declares one RPC: its kind and access rule, then its input and output schemas. */
export function rpc<I extends z.ZodType, O extends z.ZodType>(
  terms: RpcTerms,
  input: I,
  output: O,
): RpcContract<I, O> {
  return {
    kind: terms.kind,
    access: terms.access,
    ...(terms.doc === undefined ? {} : { doc: terms.doc }),
    ...(terms.answers === undefined ? {} : { answers: terms.answers }),
    input,
    output,
  };
}

/** Declares a service contract; `methods` keys are the proto RPC names in camelCase. */
export function defineService<M extends Record<string, RpcContract>>(
  service: string,
  protoFile: string,
  methods: M,
): ServiceContract<M> {
  return { service, protoFile, methods };
}

/**
 * The access rule of every RPC of `contracts`, by `<proto service>/<Method>`:
 * the table a call guard applies. Refuses one RPC declared twice.
 */
export function accessRules(contracts: readonly ServiceContract[]): Readonly<Record<string, Rule>> {
  const rules: Record<string, Rule> = {};
  for (const { service, methods } of contracts) {
    for (const [key, method] of Object.entries(methods)) {
      const name = `${service}/${protoMethodName(key)}`;
      if (Object.hasOwn(rules, name)) throw new TypeError(`Two contracts declare ${name}`);
      rules[name] = method.access;
    }
  }
  return Object.freeze(rules);
}

/** Who is calling and why, carried in gRPC metadata. */
export interface CallMetadata {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /**
   * The caller's `Bearer <token>`, sent as `authorization` metadata. The
   * server verifies it and never passes it on to handlers.
   */
  authorization?: string;
  /**
   * The verified caller's subject, for the sender's own use (the gateway
   * scopes Idempotency-Keys by it). Never sent: servers read the token.
   */
  userId?: string;
  /** Never sent, like `userId`: the tenant comes from the token. */
  tenantId?: string;
  traceparent?: string;
  /** Ask the read side to wait until it has applied this position. */
  consistencyToken?: string;
}

/** What a server handler gets besides its input. */
export interface CallContext {
  metadata: CallMetadata;
  /**
   * The caller, verified from its token and already let through by the
   * access policy; absent on a server without a guard (tests), which
   * handlers treat as anonymous.
   */
  principal?: Principal;
  /** Aborted when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  /** The caller's deadline (ms since the epoch), when it set one. */
  deadline?: number;
}

/** Server handlers for a contract, typed from its schemas. */
export type Handlers<S extends ServiceContract> = {
  [K in keyof S["methods"]]: (
    input: z.output<S["methods"][K]["input"]>,
    context: CallContext,
  ) => Promise<z.output<S["methods"][K]["output"]>>;
};

/** Options of one client call. */
export interface CallOptions {
  metadata?: CallMetadata;
  /** Overrides the kind's default deadline, in milliseconds. */
  timeoutMs?: number;
}

/** A typed client proxy inferred from a contract, the way a tRPC client infers from its router. */
export type Client<S extends ServiceContract> =
  & {
    [K in keyof S["methods"]]: (
      input: z.input<S["methods"][K]["input"]>,
      options?: CallOptions,
    ) => Promise<z.output<S["methods"][K]["output"]>>;
  }
  & { close(): void };

/** The proto RPC name (`CreateCategory`) of a contract key (`createCategory`). */
export function protoMethodName(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}
