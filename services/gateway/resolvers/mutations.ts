import { getNamedType, type GraphQLResolveInfo } from "graphql";
import { categoryCommands, orderCommands, productCommands } from "@proto/command/v1/contract.ts";
import type { CallOptions, ServiceContract } from "@shared/grpc/mod.ts";
import type { Context } from "../context.ts";
import {
  categoryOf,
  defined,
  found,
  orderOf,
  productOf,
  type Result,
  runCommand,
} from "./_command.ts";
import { readOrder } from "./orders.ts";

/**
 * The command services whose commands are GraphQL mutations, by the name of
 * the gateway's client for each (see Clients).
 */
export const MUTATION_SERVICES = { categoryCommands, productCommands, orderCommands } as const;

type Input = Record<string, unknown>;
type Send = (input: Input, options: CallOptions) => Promise<Result>;
type Answer = (ctx: Context, result: Result, id: string) => unknown;

/**
 * How a mutation answers, by the type its schema field returns. An entity is
 * answered from the command's result (the view built from the state the
 * command decided), so a committed write answers success whatever the read
 * side does; only a result without one (a replay of an older command) reads
 * the entity, at the command's position.
 */
export const ANSWERS: Readonly<Record<string, Answer>> = {
  Boolean: () => true,
  Category: async (ctx, r, id) =>
    categoryOf(r) ?? found(await ctx.loaders.category.load(id), "Category", id),
  Product: async (ctx, r, id) =>
    productOf(r) ?? found(await ctx.loaders.product.load(id), "Product", id),
  Order: async (ctx, r, id) => orderOf(r) ?? await readOrder(ctx, id),
};

/**
 * The id of the entity a mutation answers with: the input's `id`, or the id
 * named for the entity (`productId` of setStock, `orderId` of
 * startOrderSaga), else the aggregate the command wrote (a created entity
 * whose id derives from the command id).
 */
function answerId(entity: string, input: Input, result: Result): string {
  const named = input.id ?? input[`${entity[0]!.toLowerCase()}${entity.slice(1)}Id`];
  return typeof named === "string" ? named : result.id;
}

/**
 * One resolver per command that clients may send (every RPC of the services
 * above whose access is not `service`), named as the RPC: it sends the
 * mutation's `input` through the typed client, which parses it with the
 * RPC's contract, and answers as the schema field's type says (ANSWERS).
 * The schema's mutation fields and input types are generated from the same
 * contracts (schema_mutations.ts), so a new command is a mutation at once.
 */
export function commandMutations(
  services: Partial<Record<keyof typeof MUTATION_SERVICES, ServiceContract>> = MUTATION_SERVICES,
): Record<
  string,
  (parent: unknown, args: { input: Input }, ctx: Context, info: GraphQLResolveInfo) => unknown
> {
  const resolvers: ReturnType<typeof commandMutations> = {};
  for (const [client, contract] of Object.entries(services)) {
    for (const [name, method] of Object.entries(contract.methods)) {
      if (method.access === "service") continue;
      resolvers[name] = async (_parent, { input }, ctx, info) => {
        const entity = getNamedType(info.returnType).name;
        const answer = ANSWERS[entity];
        if (!answer) throw new Error(`mutation ${name} returns ${entity}, which no answer knows`);
        // Each client's methods take their own contract's input; the client parses it.
        const calls = ctx.clients[client as keyof typeof MUTATION_SERVICES] as unknown as Record<
          string,
          Send
        >;
        const result = await runCommand(ctx, name, (o) => calls[name]!(defined(input), o));
        return await answer(ctx, result, answerId(entity, input, result));
      };
    }
  }
  return resolvers;
}
