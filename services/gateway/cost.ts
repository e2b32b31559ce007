import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { MAX_DEPTH } from "@shared/domain/category/mod.ts";
import { MAX_ORDER_ITEMS, ORDER_STATUSES } from "@shared/domain/order/mod.ts";
import { SAGA_STEPS } from "@shared/domain/order_saga/mod.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from "@shared/read_models/common/paging.ts";

/**
 * Lists whose length has a known bound, by `Type.field`. A category's
 * children are read as one page of the largest size.
 */
const KNOWN_SIZES: Record<string, number> = {
  "Category.path": MAX_DEPTH,
  "Category.children": MAX_PER_PAGE,
  "Order.items": MAX_ORDER_ITEMS,
  "OrderStats.byStatus": ORDER_STATUSES.length,
  "SagaState.completedSteps": SAGA_STEPS.length,
};

/** Options of {@link queryCost}. */
export interface CostOptions {
  /** Items assumed in a list that has neither a page size nor a known bound. */
  assumedListSize: number;
  /** Stop counting once the cost passes this (the answer is then some number above it). */
  stopAbove: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  options: CostOptions;
  cost: number;
}

/**
 * The estimated cost of an operation: how many values its answer can hold.
 * Every field counts once per time it can appear, so a field inside a list
 * counts once per item of every list around it. A list's length is its page
 * size (`perPage`, clamped as the query service clamps it, 20 when omitted;
 * or `limit`, 100 when omitted), else its known bound, else
 * `assumedListSize`. Introspection fields cost nothing. Never throws: a
 * field the schema does not know costs 1 (validation refuses it anyway).
 */
export function queryCost(
  schema: GraphQLSchema,
  request: {
    document: DocumentNode;
    operationName?: string | null | undefined;
    variables?: Record<string, unknown> | null | undefined;
  },
  options: CostOptions,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const d of request.document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    if (
      d.kind === Kind.OPERATION_DEFINITION &&
      (!request.operationName || d.name?.value === request.operationName)
    ) {
      operation ??= d;
    }
  }
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk: Walk = {
    schema,
    fragments,
    variables: request.variables ?? {},
    options,
    cost: 0,
  };
  selectionCost(walk, operation.selectionSet, root, { multiplier: 1, page: undefined }, new Set());
  return walk.cost;
}

function selectionCost(
  walk: Walk,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  at: { multiplier: number; page: number | undefined },
  spreading: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (walk.cost > walk.options.stopAbove) return;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? walk.schema.getType(selection.typeCondition.name.value) ?? parent
        : parent;
      selectionCost(walk, selection.selectionSet, type, at, spreading);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || spreading.has(name)) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value) ?? parent;
      spreading.add(name);
      selectionCost(walk, fragment.selectionSet, type, at, spreading);
      spreading.delete(name);
      continue;
    }
    const name = selection.name.value;
    if (name.startsWith("__")) continue;
    walk.cost += at.multiplier;
    const field = isObjectType(parent) || isInterfaceType(parent)
      ? parent.getFields()[name]
      : undefined;
    if (!field) continue;
    const own = pageSize(walk, field, selection.arguments ?? []);
    // A page type's list (ProductPage.products) is as long as the page its field asked for.
    const size = isListType(getNullableType(field.type))
      ? own ?? KNOWN_SIZES[`${parent.name}.${name}`] ?? at.page ?? walk.options.assumedListSize
      : 1;
    const multiplier = at.multiplier * size;
    if (selection.selectionSet) {
      const page = size === 1 ? own : undefined;
      selectionCost(walk, selection.selectionSet, getNamedType(field.type), {
        multiplier,
        page,
      }, spreading);
    } else if (size > 1) {
      walk.cost += multiplier;
    }
  }
}

type Arguments = readonly { name: { value: string }; value: ValueNode }[];

const clampPage = (n: number | undefined) =>
  Math.min(MAX_PER_PAGE, Math.max(1, n ?? DEFAULT_PER_PAGE));

/**
 * The page size a field asks for, when it takes one: its `perPage` or `limit`
 * argument, or the `perPage` of an input object argument (`input: {perPage}`).
 */
function pageSize(
  walk: Walk,
  field: GraphQLField<unknown, unknown>,
  args: Arguments,
): number | undefined {
  const given = (name: string) => args.find((a) => a.name.value === name)?.value;
  for (const arg of field.args) {
    if (arg.name === "perPage") return clampPage(numberOf(walk, given("perPage")));
    if (arg.name === "limit") return Math.max(1, numberOf(walk, given("limit")) ?? 100);
    const type = getNamedType(arg.type);
    if (isInputObjectType(type) && type.getFields().perPage) {
      return clampPage(perPageOf(walk, given(arg.name)));
    }
  }
  return undefined;
}

/** The `perPage` of an input object, given in the document or as a variable. */
function perPageOf(walk: Walk, node: ValueNode | undefined): number | undefined {
  if (node?.kind === Kind.OBJECT) {
    return numberOf(walk, node.fields.find((f) => f.name.value === "perPage")?.value);
  }
  if (node?.kind !== Kind.VARIABLE) return undefined;
  const value = walk.variables[node.name.value];
  if (value === null || typeof value !== "object") return undefined;
  return toNumber((value as Record<string, unknown>).perPage);
}

/** An Int argument's value, from the document or the variables. */
function numberOf(walk: Walk, node: ValueNode | undefined): number | undefined {
  if (node?.kind === Kind.INT) return Number(node.value);
  if (node?.kind === Kind.VARIABLE) return toNumber(walk.variables[node.name.value]);
  return undefined;
}

/** Absent is undefined (the default applies); anything but a number counts as the largest page. */
function toNumber(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === "number" && Number.isFinite(raw) ? Math.trunc(raw) : MAX_PER_PAGE;
}
