import { parseJson } from "@shared/runtime/json.ts";
import type { z } from "zod";
import type { CommandResult } from "@proto/command/v1/contract.ts";
import { IdempotencyKeyReusedError, NotFoundError } from "@shared/errors/mod.ts";
import { DOMAIN_NAMESPACE, uuidV5 } from "@shared/domain/shared/ids.ts";
import type { CallOptions, RpcContract } from "@shared/grpc/mod.ts";
import { CategoryView, OrderView, ProductView } from "@proto/query/v1/contract.ts";
import { parseConsistencyToken } from "@shared/projection/consistency.ts";
import type { Category, Context, Product, RequestState } from "../context.ts";

/** What a command answers. */
export type Result = z.output<typeof CommandResult>;

/** Drops null arguments: GraphQL sends an omitted nullable argument as null or undefined. */
export function defined<T extends Record<string, unknown>>(args: T): T {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null)) as T;
}

/**
 * What an RPC's typed client takes, as the type of the GraphQL arguments or
 * input object that mirror it (schema_contract_test.ts holds the two to the
 * same fields, nullability and scalar kinds).
 */
export type ContractInput<M extends RpcContract> = z.input<M["input"]>;

/** The consistency token of a command result: its last event's global position. */
export function consistencyToken(result: Result): string {
  return `${result.transactionId}:${result.position}`;
}

/** How many commands of each operation a request has sent so far. */
const sent = new WeakMap<RequestState, Map<string, number>>();

/**
 * The command id of a mutation sent with an Idempotency-Key. A key is scoped
 * to its caller and its operation: the id derives from the caller, the
 * mutation's name, its rank among the request's mutations of that name and
 * the key, so two callers (or two mutations) reusing a key never meet.
 *
 * The caller is the user the command runs as (the token's subject; in
 * development also a trusted X-User-Id). Anonymous callers share one scope:
 * that is safe because the command service also records a hash of each
 * command's input, so an anonymous key reused with another input is refused
 * (IDEMPOTENCY_KEY_REUSED), and the same input replays the answer to that
 * very input (its address, say, is the one the replaying caller sent).
 */
function idempotentCommandId(ctx: Context, operation: string, key: string): string {
  const counts = sent.get(ctx.state) ?? new Map<string, number>();
  sent.set(ctx.state, counts);
  const rank = counts.get(operation) ?? 0;
  counts.set(operation, rank + 1);
  const caller = ctx.metadata.userId === undefined ? "anonymous" : `user:${ctx.metadata.userId}`;
  // JSON keeps the parts apart whatever they contain; uuidV5 keeps the key's case.
  return uuidV5(
    JSON.stringify(["graphql-mutation", caller, operation, rank, key]),
    DOMAIN_NAMESPACE,
  );
}

/**
 * Runs one command (the mutation `operation`) with the request's metadata and
 * a command id: fresh, or derived from the request's Idempotency-Key header
 * (see idempotentCommandId), so a retried request changes nothing twice and
 * answers what it first answered. Then it makes every later read of this
 * request wait for the command's position, so reads see what it wrote.
 */
export async function runCommand(
  ctx: Context,
  operation: string,
  call: (options: CallOptions) => Promise<Result>,
): Promise<Result> {
  const key = ctx.idempotencyKey;
  const commandId = key ? idempotentCommandId(ctx, operation, key) : crypto.randomUUID();
  ctx.state.commandCount++;
  let result: Result;
  try {
    result = await call({ metadata: { ...ctx.metadata, commandId } });
  } catch (err) {
    if (key && err instanceof IdempotencyKeyReusedError) {
      throw new IdempotencyKeyReusedError(
        `Idempotency-Key was first used for ${operation} with another input: that mutation ` +
          "stands and this one changed nothing; send a new key for a new mutation",
        { field: "Idempotency-Key" },
        { cause: err },
      );
    }
    throw err;
  }
  const token = consistencyToken(result);
  // Until the change feed announces this position, the caches of this gateway stand aside.
  if (result.transactionId !== "0") ctx.feed?.observe(parseConsistencyToken(token));
  ctx.state.consistencyToken = token;
  ctx.state.read = { metadata: { ...ctx.metadata, consistencyToken: token } };
  ctx.loaders.category.clearAll();
  ctx.loaders.product.clearAll();
  ctx.loaders.productsByCategory.clearAll();
  return result;
}

/** Returns the entity a mutation changed, read back at the mutation's position. */
export function found<T>(entity: T | undefined | null, what: string, id: string): T {
  if (entity == null) throw new NotFoundError(`${what} "${id}" does not exist`, { field: "id" });
  return entity;
}

/**
 * What a command's result says of the entity a mutation answers with (see
 * CommandResult.state): the view built from the state the command decided,
 * so a committed mutation answers without the read side. Undefined when the
 * result has none; fields a command cannot know are left out and read at the
 * mutation's position by their field resolvers.
 */
function stateOf<S extends z.ZodType>(result: Result, schema: S): z.output<S> | undefined {
  if (!result.state) return undefined;
  let json: unknown;
  try {
    json = parseJson(result.state);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

const CommandProduct = ProductView.partial({
  stock: true,
  createdAt: true,
  updatedAt: true,
  categoryName: true,
});
const CommandCategory = CategoryView.partial({
  createdAt: true,
  childCount: true,
  productCount: true,
});
const CommandOrder = OrderView.partial().required({ id: true, status: true });

/** The product as a command left it, from its result (see {@link stateOf}). */
export function productOf(result: Result): Partial<Product> & { id: string } | undefined {
  return stateOf(result, CommandProduct);
}

/** The category as a command left it, from its result (see {@link stateOf}). */
export function categoryOf(result: Result): Partial<Category> & { id: string } | undefined {
  return stateOf(result, CommandCategory);
}

/** The order as a command left it (or found it), from its result (see {@link stateOf}). */
export function orderOf(result: Result): z.output<typeof CommandOrder> | undefined {
  return stateOf(result, CommandOrder);
}
