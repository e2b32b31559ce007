/**
 * Every query and mutation of the gateway's schema, each with a valid set of
 * variables and the type of each argument, so a fuzz case is one valid
 * request with one (or a few) arguments replaced by a hostile value.
 */
import fc from "fast-check";
import { MAX_CATEGORY_NAME } from "@shared/domain/category/types.ts";
import { MAX_STOCK } from "@shared/domain/inventory/types.ts";
import { MAX_LINE_QUANTITY, MAX_ORDER_ITEMS } from "@shared/domain/order/types.ts";
import { MAX_PRODUCT_NAME } from "@shared/domain/product/types.ts";
import { ADDRESS_LIMITS } from "@shared/domain/shared/address.ts";
import { MAX_DESCRIPTION } from "@shared/domain/shared/rules.ts";
import {
  boundInts,
  discountText,
  hostileText,
  idText,
  type Labeled,
  limitText,
  moneyText,
  positionText,
  wrongType,
} from "./values.ts";

/** Reasons (cancellation, deletion, price change) are at most 500 characters (fields.reason). */
const MAX_REASON = 500;
/** Search terms and texts are at most 200 characters (query contract). */
const MAX_SEARCH = 200;
/** Event types are at most 255 characters (event log contract). */
const MAX_EVENT_TYPE = 255;

/** The entities the setup created, which valid variables refer to. */
export interface Seed {
  categoryId: string;
  childCategoryId: string;
  spareCategoryId: string;
  productId: string;
  orderId: string;
  customerId: string;
}

/** The type of one argument, which decides its hostile values. */
export type ArgKind =
  | { t: "text"; max?: number }
  | { t: "id" }
  | { t: "int"; min: number; max?: number }
  | { t: "money" }
  | { t: "discount" }
  | { t: "bool" }
  | { t: "object" }
  | { t: "position" }
  | { t: "items" }
  | { t: "enum"; values: readonly string[] };

/** One root field of the schema. */
export interface Operation {
  field: string;
  kind: "query" | "mutation";
  /** Variable name to GraphQL type. */
  vars: Record<string, string>;
  selection: string;
  /** Valid variables; `fresh` is a new uuid for client-chosen ids. */
  base(seed: Seed, unique: string, fresh: string): Record<string, unknown>;
  /** Each argument path (variable, then input fields) and its kind. */
  args: { path: string[]; kind: ArgKind }[];
  /** The path of a client-chosen id, which the write check follows. */
  freshPath?: string[];
  /** Needs an admin's bearer token. */
  admin?: boolean;
}

const text = (max?: number): ArgKind => max === undefined ? { t: "text" } : { t: "text", max };
const id: ArgKind = { t: "id" };
const page: ArgKind = { t: "int", min: 1 };
const perPage: ArgKind = { t: "int", min: 1, max: 100 };
const paging = [{ path: ["page"], kind: page }, { path: ["perPage"], kind: perPage }];
const pagingVars = { page: "Int", perPage: "Int" };
const STATUSES = ["pending", "confirmed", "shipped", "cancelled", "completed"] as const;

const CATEGORY = "{ id name depth path { id name } parent { id } productCount }";
const PRODUCT = "{ id name price stock category { id name } }";
const ORDER = "{ id status total items { productId quantity lineTotal } saga { status } }";
const PAGE = "pageInfo { page perPage totalCount hasNext }";

const address = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

/** A query without arguments. */
const plain = (field: string, selection: string): Operation => ({
  field,
  kind: "query",
  vars: {},
  selection,
  base: () => ({}),
  args: [],
});

/** A query of one entity by its id (the variable `name`). */
const byId = (
  field: string,
  selection: string,
  idOf: (seed: Seed) => string,
  name = "id",
): Operation => ({
  field,
  kind: "query",
  vars: { [name]: "ID!" },
  selection,
  base: (seed) => ({ [name]: idOf(seed) }),
  args: [{ path: [name], kind: id }],
});

/** A paged query: its own variables and arguments, then page and perPage. */
const paged = (
  field: string,
  selection: string,
  vars: Record<string, string>,
  base: (seed: Seed) => Record<string, unknown>,
  args: Operation["args"],
): Operation => ({
  field,
  kind: "query",
  vars: { ...vars, ...pagingVars },
  selection,
  base: (seed) => ({ ...base(seed), page: 1, perPage: 10 }),
  args: [...args, ...paging],
});

/** Every query and mutation. */
export const OPERATIONS: Operation[] = [
  // Queries.
  byId("category", CATEGORY, (s) => s.categoryId),
  {
    field: "categoryByName",
    kind: "query",
    vars: { name: "String!" },
    selection: CATEGORY,
    base: () => ({ name: "Root" }),
    args: [{ path: ["name"], kind: text() }],
  },
  {
    field: "categories",
    kind: "query",
    vars: { parentId: "ID" },
    selection: "{ id }",
    base: (s) => ({ parentId: s.categoryId }),
    args: [{ path: ["parentId"], kind: id }],
  },
  paged("searchCategories", "{ id }", { searchTerm: "String!" }, () => ({ searchTerm: "Ro" }), [{
    path: ["searchTerm"],
    kind: text(MAX_SEARCH),
  }]),
  paged("categoriesPaginated", `{ categories { id } ${PAGE} }`, {}, () => ({}), []),
  plain("categoryTree", "{ category { id } children { category { id } } }"),
  plain("categoryStatistics", "{ totalCategories maxDepth }"),
  byId("categoryExists", "", (s) => s.categoryId),
  byId("product", PRODUCT, (s) => s.productId),
  {
    field: "productByName",
    kind: "query",
    vars: { name: "String!" },
    selection: PRODUCT,
    base: () => ({ name: "Pen" }),
    args: [{ path: ["name"], kind: text() }],
  },
  paged("products", "{ id }", {}, () => ({}), []),
  paged("searchProducts", "{ id }", { searchTerm: "String!" }, () => ({ searchTerm: "Pe" }), [{
    path: ["searchTerm"],
    kind: text(MAX_SEARCH),
  }]),
  {
    field: "searchProductsAdvanced",
    kind: "query",
    vars: { input: "ProductSearchInput!" },
    selection: `{ products { id } ${PAGE} }`,
    base: (s) => ({
      input: {
        text: "Pe",
        categoryId: s.categoryId,
        minPrice: "1.00",
        maxPrice: "100.00",
        sort: "price_asc",
        page: 1,
        perPage: 10,
      },
    }),
    args: [
      { path: ["input", "text"], kind: text(MAX_SEARCH) },
      { path: ["input", "categoryId"], kind: id },
      { path: ["input", "minPrice"], kind: { t: "money" } },
      { path: ["input", "maxPrice"], kind: { t: "money" } },
      {
        path: ["input", "sort"],
        kind: { t: "enum", values: ["name_asc", "name_desc", "price_asc", "price_desc", "newest"] },
      },
      { path: ["input", "page"], kind: page },
      { path: ["input", "perPage"], kind: perPage },
      { path: ["input"], kind: { t: "object" } },
    ],
  },
  paged("productsPaginated", `{ products { id } ${PAGE} }`, {}, () => ({}), []),
  paged(
    "productsByCategory",
    "{ id }",
    { categoryId: "ID!" },
    (s) => ({ categoryId: s.categoryId }),
    [{ path: ["categoryId"], kind: id }],
  ),
  {
    field: "productsByPriceRange",
    kind: "query",
    vars: { minPrice: "String", maxPrice: "String", ...pagingVars },
    selection: "{ id }",
    base: () => ({ minPrice: "1.00", maxPrice: "50.00", page: 1, perPage: 10 }),
    args: [
      { path: ["minPrice"], kind: { t: "money" } },
      { path: ["maxPrice"], kind: { t: "money" } },
      ...paging,
    ],
  },
  plain("productStatistics", "{ count averagePrice totalStock }"),
  byId("productExists", "", (s) => s.productId),
  byId("order", ORDER, (s) => s.orderId),
  paged("userOrders", "{ id }", { userId: "ID!" }, (s) => ({ userId: s.customerId }), [{
    path: ["userId"],
    kind: id,
  }]),
  paged("ordersByStatus", "{ id }", { status: "String!" }, () => ({ status: "pending" }), [{
    path: ["status"],
    kind: { t: "enum", values: STATUSES },
  }]),
  plain("orderStats", "{ totalOrders totalRevenue byStatus { status count } }"),
  byId("sagaState", "{ status completedSteps }", (s) => s.orderId, "orderId"),
  {
    field: "events",
    kind: "query",
    vars: { aggregateId: "ID", type: "String", after: "String", limit: "Int" },
    selection: "{ events { position type } nextAfter }",
    base: (s) => ({ aggregateId: s.categoryId, type: null, after: "0:0", limit: 10 }),
    args: [
      { path: ["aggregateId"], kind: id },
      { path: ["type"], kind: text(MAX_EVENT_TYPE) },
      { path: ["after"], kind: { t: "position" } },
      { path: ["limit"], kind: { t: "int", min: 1, max: 500 } },
    ],
    admin: true,
  },

  // Mutations.
  {
    field: "createCategory",
    kind: "mutation",
    vars: { input: "CreateCategoryInput!" },
    selection: "{ id name }",
    base: (s, u, fresh) => ({
      input: { id: fresh, name: `c ${u}`, description: "d", parentId: s.categoryId },
    }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "name"], kind: text(MAX_CATEGORY_NAME) },
      { path: ["input", "description"], kind: text(MAX_DESCRIPTION) },
      { path: ["input", "parentId"], kind: id },
    ],
    freshPath: ["input", "id"],
  },
  {
    field: "updateCategory",
    kind: "mutation",
    vars: { input: "UpdateCategoryInput!" },
    selection: "{ id name }",
    base: (s, u) => ({ input: { id: s.spareCategoryId, name: `s ${u}`, description: "d" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "name"], kind: text(MAX_CATEGORY_NAME) },
      { path: ["input", "description"], kind: text(MAX_DESCRIPTION) },
      { path: ["input", "parentId"], kind: id },
      { path: ["input", "makeRoot"], kind: { t: "bool" } },
    ],
  },
  {
    field: "deleteCategory",
    kind: "mutation",
    vars: { input: "DeleteCategoryInput!" },
    selection: "",
    base: (_s, _u, fresh) => ({ input: { id: fresh, reason: "r" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "reason"], kind: text(MAX_REASON) },
      { path: ["input", "reassignProductsTo"], kind: id },
    ],
  },
  {
    field: "createProduct",
    kind: "mutation",
    vars: { input: "CreateProductInput!" },
    selection: "{ id name price }",
    base: (s, u, fresh) => ({
      input: {
        id: fresh,
        name: `p ${u}`,
        description: "d",
        price: "9.99",
        categoryId: s.categoryId,
      },
    }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "name"], kind: text(MAX_PRODUCT_NAME) },
      { path: ["input", "description"], kind: text(MAX_DESCRIPTION) },
      { path: ["input", "price"], kind: { t: "money" } },
      { path: ["input", "categoryId"], kind: id },
    ],
    freshPath: ["input", "id"],
  },
  {
    field: "updateProduct",
    kind: "mutation",
    vars: { input: "UpdateProductInput!" },
    selection: "{ id name price }",
    base: (s, u) => ({ input: { id: s.productId, name: `Pen ${u}`, price: "10.00" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "name"], kind: text(MAX_PRODUCT_NAME) },
      { path: ["input", "description"], kind: text(MAX_DESCRIPTION) },
      { path: ["input", "price"], kind: { t: "money" } },
      { path: ["input", "categoryId"], kind: id },
      { path: ["input", "changeReason"], kind: text(MAX_REASON) },
    ],
  },
  {
    field: "deleteProduct",
    kind: "mutation",
    vars: { input: "DeleteProductInput!" },
    selection: "",
    base: (_s, _u, fresh) => ({ input: { id: fresh, reason: "r" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "reason"], kind: text(MAX_REASON) },
    ],
  },
  {
    field: "setStock",
    kind: "mutation",
    vars: { input: "SetStockInput!" },
    selection: "{ id stock }",
    base: (s) => ({ input: { productId: s.productId, quantity: 1000 } }),
    args: [
      { path: ["input", "productId"], kind: id },
      { path: ["input", "quantity"], kind: { t: "int", min: 0, max: MAX_STOCK } },
    ],
  },
  {
    field: "createOrder",
    kind: "mutation",
    vars: { input: "CreateOrderInput!" },
    selection: "{ id status total }",
    base: (s, _u, fresh) => ({
      input: {
        id: fresh,
        customerId: s.customerId,
        items: [{ productId: s.productId, quantity: 1, discountRate: "0.1" }],
        shippingAddress: { ...address },
      },
    }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "customerId"], kind: id },
      { path: ["input", "items"], kind: { t: "items" } },
      { path: ["input", "items", "0", "productId"], kind: id },
      {
        path: ["input", "items", "0", "quantity"],
        kind: { t: "int", min: 1, max: MAX_LINE_QUANTITY },
      },
      { path: ["input", "items", "0", "discountRate"], kind: { t: "discount" } },
      { path: ["input", "shippingAddress", "street"], kind: text(ADDRESS_LIMITS.street) },
      { path: ["input", "shippingAddress", "city"], kind: text(ADDRESS_LIMITS.city) },
      { path: ["input", "shippingAddress", "postalCode"], kind: text(ADDRESS_LIMITS.postalCode) },
    ],
    freshPath: ["input", "id"],
  },
  {
    field: "cancelOrder",
    kind: "mutation",
    vars: { input: "CancelOrderInput!" },
    selection: "{ id status }",
    base: (_s, _u, fresh) => ({ input: { id: fresh, reason: "r" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "reason"], kind: text(MAX_REASON) },
    ],
  },
  {
    field: "updateOrderStatus",
    kind: "mutation",
    vars: { input: "UpdateOrderStatusInput!" },
    selection: "{ id status }",
    base: (_s, _u, fresh) => ({ input: { id: fresh, status: "confirmed" } }),
    args: [
      { path: ["input", "id"], kind: id },
      { path: ["input", "status"], kind: { t: "enum", values: STATUSES } },
    ],
  },
  {
    field: "startOrderSaga",
    kind: "mutation",
    vars: { input: "StartOrderSagaInput!" },
    selection: "{ id status }",
    base: (_s, _u, fresh) => ({ input: { orderId: fresh } }),
    args: [{ path: ["input", "orderId"], kind: id }],
  },
];

/** The document of an operation: its variables declared, its field selected. */
export function documentOf(op: Operation): string {
  const decls = Object.entries(op.vars).map(([n, t]) => `$${n}: ${t}`).join(", ");
  const args = Object.keys(op.vars).map((n) => `${n}: $${n}`).join(", ");
  return `${op.kind}${decls ? ` Fuzz(${decls})` : " Fuzz"} { ${op.field}${
    args ? `(${args})` : ""
  } ${op.selection} }`;
}

function orderItems(seed: Seed): fc.Arbitrary<Labeled> {
  const item = { productId: seed.productId, quantity: 1 };
  return fc.constantFrom<Labeled>(
    { value: [], label: "no items" },
    { value: Array(MAX_ORDER_ITEMS).fill(item), label: `${MAX_ORDER_ITEMS} items` },
    { value: Array(MAX_ORDER_ITEMS + 1).fill(item), label: `${MAX_ORDER_ITEMS + 1} items` },
    { value: Array(1500).fill(item), label: "1500 items" },
    { value: [item, null], label: "null item" },
    { value: [{ productId: seed.productId }], label: "item without quantity" },
    {
      value: [{ ...item, quantity: 1 }, { ...item, quantity: MAX_LINE_QUANTITY }],
      label: "same product twice",
    },
  );
}

/** Hostile values for an argument of `kind`. */
export function hostileValue(
  kind: ArgKind,
  seed: Seed,
): fc.Arbitrary<Labeled & { limit?: LimitCase }> {
  const existing = [seed.categoryId, seed.childCategoryId, seed.productId, seed.orderId];
  const common = [
    { weight: 1, arbitrary: wrongType() },
    { weight: 2, arbitrary: hostileText() as fc.Arbitrary<Labeled> },
  ];
  switch (kind.t) {
    case "text":
      if (kind.max === undefined) return fc.oneof(...common);
      return fc.oneof(
        {
          weight: 4,
          arbitrary: limitText(kind.max).map((l) => ({
            value: l.value,
            label: l.label,
            limit: { codePoints: l.codePoints, max: kind.max!, kind: l.kind },
          })),
        },
        ...common,
      );
    case "id":
      return fc.oneof(
        { weight: 3, arbitrary: idText(existing) as fc.Arbitrary<Labeled> },
        ...common,
      );
    case "int": {
      const max = kind.max;
      return fc.oneof({ weight: 3, arbitrary: boundInts(kind.min, max) }, {
        weight: 2,
        arbitrary: wrongType(),
      });
    }
    case "money":
      return fc.oneof({ weight: 3, arbitrary: moneyText() as fc.Arbitrary<Labeled> }, ...common);
    case "discount":
      return fc.oneof(
        { weight: 3, arbitrary: discountText() as fc.Arbitrary<Labeled> },
        {
          weight: 1,
          arbitrary: fc.constantFrom(0.5, 1.5, -0.1, 1e-320).map((value) => ({
            value,
            label: `discount number ${value}`,
          })),
        },
        ...common,
      );
    case "bool":
    case "object":
      return fc.oneof(...common);
    case "position":
      return fc.oneof({ weight: 3, arbitrary: positionText() as fc.Arbitrary<Labeled> }, ...common);
    case "items":
      return fc.oneof({ weight: 3, arbitrary: orderItems(seed) }, {
        weight: 1,
        arbitrary: wrongType(),
      });
    case "enum":
      return fc.oneof(
        {
          weight: 2,
          arbitrary: fc.constantFrom(...kind.values).map((v) => ({
            value: v.toUpperCase(),
            label: `enum upper-case`,
          })),
        },
        ...common,
      );
  }
}

/** A string argument sent around its code-point limit. */
export interface LimitCase {
  codePoints: number;
  max: number;
  kind: string;
}

/** Sets `value` at `path` inside `vars` (copying along the way). */
export function setPath(
  vars: Record<string, unknown>,
  path: string[],
  value: unknown,
): Record<string, unknown> {
  if (path.length === 0) return vars;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(vars)
    ? [...vars] as unknown as Record<string, unknown>
    : { ...vars };
  if (rest.length === 0) copy[head] = value;
  else {
    const inner = copy[head];
    copy[head] = setPath(
      inner !== null && typeof inner === "object" ? inner as Record<string, unknown> : {},
      rest,
      value,
    );
  }
  return copy;
}

/** Reads the value at `path` inside `vars`. */
export function getPath(vars: unknown, path: string[]): unknown {
  let at = vars;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
