import assert from "node:assert/strict";
import {
  ConflictError,
  NotFoundError,
  PreconditionError,
  ValidationError,
} from "@shared/errors/mod.ts";
import { spec } from "@shared/testing/decider.ts";
import { AT, id } from "@shared/testing/fixtures/shared.ts";
import {
  ADDRESS,
  CUSTOMER,
  ORDER_ID,
  orderCreated,
  product,
} from "@shared/testing/fixtures/order.ts";
import { orderDecider } from "./mod.ts";
import type { CreateOrder, OrderCreated, OrderItemInput } from "./types.ts";

const given = spec(orderDecider);

function create(
  items: OrderItemInput[],
  products = [product(1, 1999, "Runner"), product(2, 500, "Socks")],
): CreateOrder {
  return {
    type: "CreateOrder",
    id: ORDER_ID,
    customerId: CUSTOMER,
    items,
    shippingAddress: ADDRESS,
    products,
    at: AT,
  };
}

function created(command: CreateOrder): OrderCreated["data"] {
  const [event] = given.when(command).events;
  assert.equal(event?.type, "OrderCreated");
  return (event as OrderCreated).data;
}

Deno.test("decide() creates a pending order priced from the products at the time of ordering", () => {
  const state = given.when(create([
    { productId: id(1), quantity: 2, discountRate: "0.1" },
    { productId: id(2), quantity: 3 },
  ])).then([{
    type: "OrderCreated",
    data: {
      id: ORDER_ID,
      customerId: CUSTOMER,
      status: "pending",
      items: [
        {
          productId: id(1),
          productName: "Runner",
          quantity: 2,
          unitPrice: "19.99",
          discountRate: "0.1",
          lineTotal: "35.98", // 2 × 19.99 × 0.9 = 35.982
        },
        {
          productId: id(2),
          productName: "Socks",
          quantity: 3,
          unitPrice: "5.00",
          discountRate: "0",
          lineTotal: "15.00",
        },
      ],
      subtotal: "50.98",
      tax: "5.10", // 5.098
      shipping: "500.00",
      total: "556.08",
      shippingAddress: ADDRESS,
      createdAt: AT,
    },
  }]);
  assert.equal(state?.status, "pending");
  assert.equal(state?.total, 55608);
  assert.equal(state?.items[0]?.unitPrice, 1999);
});

Deno.test("decide() rounds each line half-up to cents before summing", () => {
  // 1 × 0.05 × 0.5 = 0.025 → 0.03 per line, so two lines make 0.06, not 0.05.
  const data = created(create(
    [{ productId: id(1), quantity: 1, discountRate: 0.5 }, {
      productId: id(2),
      quantity: 1,
      discountRate: "0.5",
    }],
    [product(1, 5), product(2, 5)],
  ));
  assert.deepEqual(data.items.map((line) => line.lineTotal), ["0.03", "0.03"]);
  assert.equal(data.subtotal, "0.06");
  assert.equal(data.tax, "0.01"); // 0.006 → 0.01
});

Deno.test("decide() computes a discount given as a float exactly (0.1 × 3 × 0.10)", () => {
  const data = created(create(
    [{ productId: id(1), quantity: 3, discountRate: 0.1 }],
    [product(1, 10)],
  ));
  assert.equal(data.items[0]?.lineTotal, "0.27");
});

Deno.test("decide() rounds tax half-up to cents", () => {
  // subtotal 0.05 → tax 0.005 → 0.01
  const data = created(create([{ productId: id(1), quantity: 1 }], [product(1, 5)]));
  assert.equal(data.tax, "0.01");
  assert.equal(data.total, "500.06");
});

Deno.test("decide() charges 500.00 shipping on a subtotal of 4999.99", () => {
  const data = created(create([{ productId: id(1), quantity: 1 }], [product(1, 499_999)]));
  assert.deepEqual([data.subtotal, data.tax, data.shipping, data.total], [
    "4999.99",
    "500.00",
    "500.00",
    "5999.99",
  ]);
});

Deno.test("decide() ships free from a subtotal of 5000.00", () => {
  const data = created(create([{ productId: id(1), quantity: 2 }], [product(1, 250_000)]));
  assert.deepEqual([data.subtotal, data.tax, data.shipping, data.total], [
    "5000.00",
    "500.00",
    "0.00",
    "5500.00",
  ]);
});

Deno.test("decide() accepts discount rates of exactly 0 and 1", () => {
  const data = created(create([
    { productId: id(1), quantity: 1, discountRate: 0 },
    { productId: id(2), quantity: 1, discountRate: "1" },
  ]));
  assert.deepEqual(data.items.map((l) => l.lineTotal), ["19.99", "0.00"]);
});

Deno.test("decide() refuses an order without items", () => {
  given.when(create([])).thenThrows(ValidationError, /items: must have at least one item/, {
    field: "items",
  });
});

for (const quantity of [0, 1.5, 10_001]) {
  Deno.test(`decide() refuses a line quantity of ${quantity}`, () => {
    given.when(create([{ productId: id(1), quantity }])).thenThrows(
      ValidationError,
      /items\[0\]\.quantity: must be a whole number from 1 to 10000/,
      { field: "items[0].quantity" },
    );
  });
}

for (const discountRate of [-0.1, "1.01", "abc"]) {
  Deno.test(`decide() refuses a discount rate of ${JSON.stringify(discountRate)}`, () => {
    given.when(create([{ productId: id(1), quantity: 1, discountRate }])).thenThrows(
      ValidationError,
      /items\[0\]\.discountRate: must be a decimal between 0 and 1/,
      { field: "items[0].discountRate" },
    );
  });
}

Deno.test("decide() refuses the same product on two lines", () => {
  given.when(create([{ productId: id(1), quantity: 1 }, { productId: id(1), quantity: 2 }]))
    .thenThrows(ValidationError, /must not repeat product/, { field: "items[1].productId" });
});

Deno.test("decide() refuses a product that does not exist", () => {
  given.when(create([{ productId: id(9), quantity: 1 }])).thenThrows(
    NotFoundError,
    /Cannot order product ".+": it does not exist/,
    { field: "items[0].productId" },
  );
});

Deno.test("decide() refuses a deleted product", () => {
  given.when(
    create([{ productId: id(1), quantity: 1 }], [{ ...product(1, 100, "Old"), deleted: true }]),
  ).thenThrows(PreconditionError, /Cannot order product "Old": it is deleted/, {
    field: "items[0].productId",
  });
});

Deno.test("decide() refuses an archived product, naming it", () => {
  given.when(
    create([{ productId: id(2), quantity: 1 }, { productId: id(1), quantity: 1 }], [
      product(2, 100),
      { ...product(1, 100, "Retired"), archived: true },
    ]),
  ).thenThrows(PreconditionError, /Cannot order product "Retired": it is archived/, {
    field: "items[1].productId",
  });
});

Deno.test("decide() refuses a shipping address with an empty part", () => {
  given.when({
    ...create([{ productId: id(1), quantity: 1 }]),
    shippingAddress: { ...ADDRESS, city: "" },
  })
    .thenThrows(ValidationError, /shippingAddress\.city: must not be empty/, {
      field: "shippingAddress.city",
    });
});

Deno.test("decide() refuses to create an order whose id already exists", () => {
  given.given([orderCreated()]).when(create([{ productId: id(1), quantity: 1 }])).thenThrows(
    ConflictError,
    /already exists/,
    { field: "id" },
  );
});
