import type { z } from "zod";
import type { CommandResult } from "@proto/command/v1/contract.ts";
import { NotFoundError } from "@shared/errors/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import type { CallOptions } from "@shared/grpc/mod.ts";
import { ProductView } from "@proto/query/v1/contract.ts";
import { parseConsistencyToken } from "@shared/projection/consistency.ts";
import type { Context, Product } from "../context.ts";

type Result = z.output<typeof CommandResult>;

/** The consistency token of a command result: its last event's global position. */
export function consistencyToken(result: Result): string {
  return `${result.transactionId}:${result.position}`;
}

/**
 * Runs one command with the request's metadata and a command id: fresh, or
 * derived from the request's Idempotency-Key header (and the mutation's
 * place in the request), so a retried request changes nothing twice. Then it
 * makes every later read of this request wait for the command's position, so
 * the mutation answers with what it wrote.
 */
export async function runCommand(
  ctx: Context,
  call: (options: CallOptions) => Promise<Result>,
): Promise<Result> {
  const commandId = ctx.idempotencyKey
    ? deriveId("graphql-mutation", ctx.idempotencyKey, String(ctx.state.commandCount++))
    : crypto.randomUUID();
  const result = await call({ metadata: { ...ctx.metadata, commandId } });
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

/** What a command's result may say of a product (see CommandResult.state). */
const CommandProduct = ProductView.partial({ stock: true, createdAt: true, categoryName: true });

/**
 * The product as a command left it, from its result, so a mutation answers
 * without waiting for the read model; undefined when the result has none (a
 * replayed command id). Fields it lacks are read at the mutation's position.
 */
export function productOf(result: Result): Partial<Product> & { id: string } | undefined {
  if (!result.state) return undefined;
  const parsed = CommandProduct.safeParse(JSON.parse(result.state));
  return parsed.success ? parsed.data : undefined;
}
