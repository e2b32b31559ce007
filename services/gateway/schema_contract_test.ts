import assert from "node:assert/strict";
import {
  buildSchema,
  getNamedType,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import type { z } from "zod";
import { eventLog, orderCommands, StoredEvent } from "@proto/command/v1/contract.ts";
import type { RpcContract } from "@shared/grpc/contract.ts";
import {
  CategoryNode,
  categoryQueries,
  CategoryStatistics,
  CategoryView,
  OrderItemView,
  orderQueries,
  OrderStats,
  OrderView,
  PageInfo,
  PathSegment,
  productQueries,
  ProductStatistics,
  ProductView,
  SagaStateView,
  StatusCount,
} from "@proto/query/v1/contract.ts";
import { core, def, isInt, isOptional, shapeOf } from "@shared/grpc/zod_shape.ts";
import { typeDefs } from "./schema.ts";
import { ANSWERS, MUTATION_SERVICES } from "./resolvers/mutations.ts";

/** Each GraphQL object type and the contract view it shows. */
const views: Record<string, z.ZodType> = {
  PageInfo,
  PathSegment,
  Category: CategoryView,
  CategoryNode,
  CategoryPage: categoryQueries.methods.listCategoriesPaginated.output,
  CategoryStatistics,
  Product: ProductView,
  ProductPage: productQueries.methods.listProductsPaginated.output,
  ProductStatistics,
  Address: shapeOf(OrderView).shippingAddress!,
  OrderItem: OrderItemView,
  Order: OrderView,
  OrderPage: orderQueries.methods.listOrders.output,
  StatusCount,
  OrderStats,
  SagaState: SagaStateView,
  AuditEvent: StoredEvent,
  EventPage: eventLog.methods.listEvents.output,
};

/**
 * Each GraphQL input type and the contract input it is sent as, besides the
 * input of each mutation, which is checked against its command (mutationInputs).
 */
const inputs: Record<string, z.ZodType> = {
  ProductSearchInput: productQueries.methods.searchProductsAdvanced.input,
  OrderItemInput: def(core(shapeOf(orderCommands.methods.createOrder.input).items!)).element!,
  AddressInput: shapeOf(orderCommands.methods.createOrder.input).shippingAddress!,
};

/** Fields a resolver computes, which are not in the contract view, and why. */
const computed: Record<string, Record<string, string>> = {
  Category: {
    parent: "the category of parentId, through the category loader",
    children: "listCategories of the category's id",
    products: "the category's products, through the products-by-category loader",
  },
  Product: {
    category:
      "the category of categoryId: its id and name from the product, more through the loader",
  },
  AuditEvent: { type: "the contract's eventType, renamed by the audit resolver" },
};

const ROOTS = new Set(["Query", "Mutation", "Subscription"]);

/** The GraphQL scalars and the zod types they carry. */
const scalarKinds: Record<string, string[]> = {
  ID: ["string"],
  // A String may carry one of an enum's values (an order status, a sort).
  String: ["string", "enum"],
  Int: ["number"],
  Boolean: ["boolean"],
};

type GraphQLType = GraphQLOutputType | GraphQLInputType;

/** A schema being checked, and the types checked so far. */
interface Check {
  schema: GraphQLSchema;
  seen: Set<string>;
}

/** The zod option of a field that matches a GraphQL kind, under unions (e.g. number or string). */
function matching(schema: z.ZodType, kinds: string[]): z.ZodType | undefined {
  const inner = core(schema);
  const options = def(inner).type === "union" ? def(inner).options!.map(core) : [inner];
  return options.find((o) => kinds.includes(def(o).type));
}

/**
 * Checks a GraphQL type (under its non-null) against a zod schema: lists
 * against arrays (and their items' nullability), scalars by kind, object and
 * input types field by field.
 */
function checkType(check: Check, type: GraphQLType, schema: z.ZodType, at: string) {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const array = core(schema);
    assert.equal(def(array).type, "array", `${at}: a GraphQL list is a zod array`);
    const element = def(array).element!;
    assert.equal(
      isNonNullType(inner.ofType),
      !isOptional(element),
      `${at}[]: non-null items in GraphQL are required items in the contract`,
    );
    checkType(check, inner.ofType, element, `${at}[]`);
    return;
  }
  if (isScalarType(inner)) {
    const kinds = scalarKinds[inner.name];
    assert.ok(kinds, `${at}: GraphQL scalar ${inner.name} is one the test knows`);
    const zod = matching(schema, kinds);
    assert.ok(zod, `${at}: GraphQL ${inner.name} but zod ${def(core(schema)).type}`);
    if (inner.name === "Int") assert.ok(isInt(zod), `${at}: GraphQL Int is z.number().int()`);
    return;
  }
  if (isObjectType(inner) || isInputObjectType(inner)) {
    const zod = matching(schema, ["object"]);
    assert.ok(zod, `${at}: GraphQL ${inner.name} but zod ${def(core(schema)).type}`);
    checkObject(check, inner.name, zod);
    return;
  }
  assert.fail(`${at}: GraphQL type ${String(inner)} is one the test knows`);
}

/** Checks one GraphQL object or input type against a zod object, field by field. */
function checkObject(check: Check, name: string, schema: z.ZodType) {
  if (check.seen.has(name)) return; // checked already, or being checked (a tree)
  check.seen.add(name);
  const type = check.schema.getType(name);
  assert.ok(isObjectType(type) || isInputObjectType(type), `${name} is declared in the schema`);
  const fields = type.getFields();
  const shape = shapeOf(schema);
  assert.ok(shape, `${name} mirrors a zod object`);
  const own = computed[name] ?? {};
  for (const field of Object.keys(own)) {
    assert.ok(fields[field], `${name}.${field} is declared computed, so it is in the schema`);
    assert.ok(!(field in shape), `${name}.${field} is computed, so it is not in the contract`);
  }
  const mirrored = Object.keys(fields).filter((f) => !(f in own));
  if (isInputObjectType(type)) {
    // What a client may send is what the contract takes: no field more, none fewer.
    assert.deepEqual(mirrored.sort(), Object.keys(shape).sort(), `fields of input ${name}`);
  }
  for (const field of mirrored) {
    const at = `${name}.${field}`;
    assert.ok(field in shape, `${at} is in the contract (or declared computed)`);
    const zod = shape[field]!;
    const gql = fields[field]!.type;
    assert.equal(
      isNonNullType(gql),
      !isOptional(zod),
      `${at}: non-null in GraphQL is required in the contract`,
    );
    checkType(check, gql, zod, at);
  }
}

/** Every command a client may send, by name: each is a mutation (see commandMutations). */
const commands: Record<string, RpcContract> = Object.fromEntries(
  Object.values(MUTATION_SERVICES).flatMap((service) =>
    Object.entries(service.methods as Record<string, RpcContract>).filter(([, m]) =>
      m.access !== "service"
    )
  ),
);

/**
 * The input type of each mutation and the contract input of the command of
 * the same name. A mutation takes one `input` argument and answers with a
 * type that commandMutations knows how to answer with.
 */
function mutationInputs(schema: GraphQLSchema): Record<string, z.ZodType> {
  const fields = schema.getMutationType()?.getFields() ?? {};
  assert.deepEqual(
    Object.keys(fields).sort(),
    Object.keys(commands).sort(),
    "every command a client may send is a mutation of the same name, and nothing else is",
  );
  const found: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    assert.deepEqual(field.args.map((a) => a.name), ["input"], `${name} takes one input`);
    const type = getNamedType(field.args[0]!.type);
    assert.ok(isNonNullType(field.args[0]!.type), `${name}: its input is required`);
    assert.ok(
      getNamedType(field.type).name in ANSWERS,
      `${name} answers with ${getNamedType(field.type).name}, which commandMutations knows`,
    );
    found[type.name] = commands[name]!.input;
  }
  return found;
}

/** Checks the object types and the input types of an SDL against the contracts. */
function checkSchema(sdl: string) {
  const schema = buildSchema(sdl);
  const check: Check = { schema, seen: new Set() };
  const all = { ...inputs, ...mutationInputs(schema) };
  for (const [name, view] of Object.entries(views)) checkObject(check, name, view);
  for (const [name, input] of Object.entries(all)) checkObject(check, name, input);
  return {
    types: Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith("__")),
    inputs: all,
  };
}

Deno.test("every GraphQL object and input type agrees with its contract, field by field", () => {
  const { types, inputs } = checkSchema(typeDefs);
  assert.deepEqual(
    types.filter((t) => isObjectType(t) && !ROOTS.has(t.name)).map((t) => t.name).sort(),
    Object.keys(views).sort(),
    "every object type has its contract view here",
  );
  assert.deepEqual(
    types.filter(isInputObjectType).map((t) => t.name).sort(),
    Object.keys(inputs).sort(),
    "every input type has its contract input here",
  );
});

Deno.test("a field renamed, made nullable or of another kind on one side is refused", () => {
  const changed = (from: string, to: string) => {
    assert.ok(typeDefs.includes(from), `the schema has ${from}`);
    return typeDefs.replace(from, to);
  };
  assert.throws(
    () => checkSchema(changed("productCount: Int!", "productTotal: Int!")),
    /Category.productTotal is in the contract/,
  );
  assert.throws(
    () => checkSchema(changed("changeReason: String", "reason: String")),
    /fields of input UpdateProductInput/,
  );
  assert.throws(
    () => checkSchema(changed("totalStock: Int!", "totalStock: Int")),
    /ProductStatistics.totalStock: non-null in GraphQL is required/,
  );
  assert.throws(
    () => checkSchema(changed("hasNext: Boolean!", "hasNext: String!")),
    /PageInfo.hasNext: GraphQL String but zod boolean/,
  );
  assert.throws(
    () => checkSchema(changed("quantity: Int!\n  }", "quantity: Boolean!\n  }")),
    /GraphQL Boolean but zod number/,
  );
  assert.throws(
    () => checkSchema(changed("archiveProduct(input", "archiveProducts(input")),
    /every command a client may send is a mutation of the same name/,
  );
  assert.throws(
    () =>
      checkSchema(
        changed(
          "setStock(input: SetStockInput!): Product!",
          "setStock(input: SetStockInput!): Int!",
        ),
      ),
    /setStock answers with Int, which commandMutations knows/,
  );
});
