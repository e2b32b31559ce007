import {
  defaultFieldResolver,
  type ExecutionResult,
  type FieldNode,
  getNullableType,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isListType,
  isObjectType,
  Kind,
} from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import { queryCost } from "./cost.ts";

/** What the answer limits need of the gateway's QueryLimits. */
export interface AnswerLimits {
  maxCost: number;
  assumedListSize: number;
}

function costError(cost: number, limit: number): GraphQLError {
  return new GraphQLError(
    `Query cost of at least ${cost} is over the limit of ${limit}: ask for smaller pages (perPage) or fewer nested lists`,
    { extensions: { code: "QUERY_TOO_COSTLY", limit } },
  );
}

/**
 * Refuses an operation whose {@link queryCost} is over `maxCost` before it
 * runs. It runs at execution, not validation, because page sizes may come
 * from variables (and Yoga caches validation by document).
 */
export function costPlugin(limits: AnswerLimits): Plugin {
  const check = (
    args: Parameters<typeof queryCost>[1] & { schema: Parameters<typeof queryCost>[0] },
  ): GraphQLError | undefined => {
    const cost = queryCost(args.schema, args, {
      assumedListSize: limits.assumedListSize,
      stopAbove: limits.maxCost,
    });
    return cost > limits.maxCost ? costError(cost, limits.maxCost) : undefined;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check({ ...args, variables: args.variableValues as Record<string, unknown> });
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check({ ...args, variables: args.variableValues as Record<string, unknown> });
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** Values an item of a list field holds: the fields selected on it (1 for a scalar). */
function itemWidth(nodes: readonly FieldNode[]): number {
  let width = 0;
  for (const node of nodes) {
    for (const selection of node.selectionSet?.selections ?? []) {
      width += selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet.selections.length
        : 1;
    }
  }
  return Math.max(1, width);
}

interface Budget {
  left: number;
  exceeded?: GraphQLError;
}

/**
 * Holds an operation to `maxCost` values as it runs, with the lists' real
 * lengths: {@link queryCost} has to assume the length of a list with no page
 * size (every category), and the read model may hold more. Each list field
 * spends its length times the fields selected on an item; once over, every
 * further list fails at once (no more reads), and the whole answer becomes
 * one RESPONSE_TOO_LARGE error instead of partial data. The list fields'
 * resolvers are wrapped once, when the schema is set; a subscription's
 * events are single objects and are not counted.
 */
export function valueBudgetPlugin(maxCost: number): Plugin {
  const budgets = new WeakMap<object, Budget>();
  const wrapped = new WeakSet<GraphQLFieldResolver<unknown, unknown>>();
  const tooLarge = () =>
    new GraphQLError(
      `Response would hold more than ${maxCost} values: ask for fewer fields or smaller pages`,
      { extensions: { code: "RESPONSE_TOO_LARGE", limit: maxCost } },
    );
  const spend = (context: unknown, amount: number) => {
    const budget = typeof context === "object" && context ? budgets.get(context) : undefined;
    if (!budget) return;
    if (!budget.exceeded) {
      budget.left -= amount;
      if (budget.left < 0) budget.exceeded = tooLarge();
    }
    if (budget.exceeded) throw budget.exceeded;
  };
  const guard = (schema: GraphQLSchema) => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      for (const field of Object.values(type.getFields())) {
        if (
          !isListType(getNullableType(field.type)) || (field.resolve && wrapped.has(field.resolve))
        ) continue;
        const resolve = field.resolve ?? defaultFieldResolver;
        const counted: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
          spend(context, 0);
          const count = (value: unknown) => {
            if (Array.isArray(value)) spend(context, value.length * itemWidth(info.fieldNodes));
            return value;
          };
          const value = resolve(source, args, context, info);
          return value instanceof Promise ? value.then(count) : count(value);
        };
        wrapped.add(counted);
        field.resolve = counted;
      }
    }
  };
  return {
    onSchemaChange({ schema }) {
      guard(schema);
    },
    onExecute({ args }) {
      const context = args.contextValue;
      if (typeof context !== "object" || !context) return;
      const budget: Budget = { left: maxCost };
      budgets.set(context, budget);
      return {
        onExecuteDone(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ setResult }) => {
            if (budget.exceeded) setResult({ data: null, errors: [budget.exceeded] });
          });
        },
      };
    },
  };
}

/** The size in bytes of a result as JSON, or a number over `limit` once it is surely over it. */
function jsonBytes(result: ExecutionResult, limit: number): number {
  let text: string;
  try {
    text = JSON.stringify(result);
  } catch {
    return 0;
  }
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: encode only when the length cannot decide.
  if (text.length > limit || text.length * 3 <= limit) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

/**
 * Replaces an answer larger than `limit` bytes (or one event of a stream) by
 * a RESPONSE_TOO_LARGE error: a client gets a clear refusal, never a
 * truncated body. The cost limit keeps what is built before this check small.
 */
export function responseSizePlugin(limit: number): Plugin {
  const tooLarge = (size: number) =>
    new GraphQLError(
      `Response of ${size} bytes is larger than the limit of ${limit} bytes: ask for fewer fields or smaller pages`,
      { extensions: { code: "RESPONSE_TOO_LARGE", limit } },
    );
  return {
    onExecute() {
      return {
        onExecuteDone(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            const size = jsonBytes(result, limit);
            if (size > limit) setResult({ data: null, errors: [tooLarge(size)] });
          });
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            const size = jsonBytes(result, limit);
            if (size > limit) setResult({ data: null, errors: [tooLarge(size)] });
          });
        },
      };
    },
  };
}
