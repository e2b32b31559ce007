/**
 * The access policy of docs/security.md as a matrix: every query, mutation
 * and subscription the running gateway serves (read from its schema, so an
 * operation without a row fails this test), called as anonymous, customer
 * A, customer B, staff and admin, each expected to succeed or to fail with
 * one exact code and to write nothing when refused. Then the gRPC ports,
 * called directly with tokens and headers that must not pass.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { type Client, createClient as createWsClient } from "graphql-ws";
import { bearer, sagaBearer } from "@shared/testing/auth.ts";
import { gql, type GraphQLResponse } from "@shared/testing/graphql.ts";
import { hostileTokens, rawCall, rawClient } from "@shared/testing/grpc_raw.ts";
import { waitForSubscriptions } from "@shared/testing/observability.ts";
import { sseSubscribe } from "@shared/testing/sse.ts";
import { startTestSystem } from "@shared/testing/system.ts";

const WHO = ["anonymous", "customerA", "customerB", "staff", "admin"] as const;
type Who = typeof WHO[number];
/** `ok`; an error code; or HIDDEN: the subscription opens but delivers nothing (not yours). */
type Outcome = "ok" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "HIDDEN";
type Kind = "query" | "mutation" | "subscription";
type Call = { query: string; variables?: Record<string, unknown> };

/** One operation: who gets what, and the call to make for a caller (fresh targets when it writes). */
interface Row {
  expect: Record<Who, Outcome>;
  call: (who: Who) => Promise<Call> | Call;
  /** Subscriptions: what makes the subscribed event happen. */
  trigger?: (call: Call) => Promise<void>;
}

const everyone: Record<Who, Outcome> = {
  anonymous: "ok",
  customerA: "ok",
  customerB: "ok",
  staff: "ok",
  admin: "ok",
};
const staffOnly: Record<Who, Outcome> = {
  anonymous: "FORBIDDEN",
  customerA: "FORBIDDEN",
  customerB: "FORBIDDEN",
  staff: "ok",
  admin: "ok",
};
const adminOnly: Record<Who, Outcome> = { ...staffOnly, staff: "FORBIDDEN" };
/** The console's own operations, checked in the gateway: no token is UNAUTHENTICATED. */
const consoleStaff: Record<Who, Outcome> = { ...staffOnly, anonymous: "UNAUTHENTICATED" };
const consoleAdmin: Record<Who, Outcome> = { ...adminOnly, anonymous: "UNAUTHENTICATED" };
/** On customer A's order: B is refused, or (reads) told it does not exist. */
const ownerOf = (other: Outcome): Record<Who, Outcome> => ({
  anonymous: "FORBIDDEN",
  customerA: "ok",
  customerB: other,
  staff: "ok",
  admin: "ok",
});

const ADDRESS = `{street: "1 Main St", city: "Springfield", postalCode: "12345"}`;

Deno.test("every GraphQL operation and sampled RPC follows the access policy", async (t) => {
  const system = await startTestSystem({ SAGA_POLL_MS: "200" });
  // gRPC clients of the test live as long as the system and close only at the
  // end: a client that closes its connection sends the server a GOAWAY, which
  // Deno's HTTP/2 can abort on (denoland/deno#36788, docs/operations.md); no
  // step may stop a service that later steps test.
  const grpcClients: { close(): void }[] = [];
  const grpcClient = (address: string, proto: string, service: string) => {
    const client = rawClient(address, proto, service);
    grpcClients.push(client);
    return client;
  };
  const url = system.gatewayUrl;
  const wsUrl = url.replace(/^http/, "ws") + "/graphql";
  const clients: Client[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const A = crypto.randomUUID();
    const B = crypto.randomUUID();
    const headers: Record<Who, Record<string, string>> = {
      anonymous: {},
      customerA: await bearer(A, ["customer"]),
      customerB: await bearer(B, ["customer"]),
      staff: await bearer("clerk", ["staff"]),
      admin: await bearer("root", ["admin"]),
    };
    // Sagas started above keep writing as the saga worker (userId "saga"): those are not the caller's.
    const eventCount = async () =>
      Number(
        (await system.db.eventStore`SELECT count(*)::int AS n FROM events
          WHERE event_metadata->>'userId' IS DISTINCT FROM 'saga'`)[0]!.n,
      );
    /** Runs as staff and returns data, failing on any error. */
    const staff = async (query: string): Promise<Record<string, { id: string }>> => {
      const res = await gql<Record<string, { id: string }>>(url, query, {}, headers.staff);
      assert.equal(res.errors, undefined, `${query}: ${JSON.stringify(res.errors)}`);
      return res.data!;
    };
    const newCategory = async (name = `C ${crypto.randomUUID()}`) =>
      (await staff(`mutation { createCategory(input: {name: "${name}"}) { id } }`))
        .createCategory!.id;
    const shop = await newCategory("Shop");
    const newProduct = async (name = `P ${crypto.randomUUID()}`) =>
      (await staff(
        `mutation { createProduct(input: {name: "${name}", price: "1.00", categoryId: "${shop}"}) { id } }`,
      )).createProduct!.id;
    const pen = await newProduct("Pen");
    await staff(`mutation { setStock(input: {productId: "${pen}", quantity: 100000}) { id } }`);
    const orderInput = (customerId: string, id?: string) =>
      `{${
        id ? `id: "${id}", ` : ""
      }customerId: "${customerId}", items: [{productId: "${pen}", quantity: 1}], shippingAddress: ${ADDRESS}}`;
    /** A fresh pending order of customer A, placed by staff on A's behalf. */
    const newOrder = async () =>
      (await staff(`mutation { createOrder(input: ${orderInput(A)}) { id } }`)).createOrder!.id;
    /** Places A's order with the id a subscription row was given (once: the id is then taken). */
    const placeOrder = async (call: Call) =>
      void await staff(
        `mutation { createOrder(input: ${orderInput(A, call.variables!.id as string)}) { id } }`,
      );
    // A's order with a saga, visible in the read model to the readers below.
    const ordered = await gql<{ createOrder: { id: string } }>(
      url,
      `mutation { createOrder(input: ${orderInput(A)}) { id } }`,
      {},
      headers.customerA,
    );
    const aOrder = ordered.data!.createOrder.id;
    await staff(`mutation { startOrderSaga(input: {orderId: "${aOrder}"}) { id } }`);
    for (let i = 0; i < 100; i++) {
      const res = await gql<{ sagaState: unknown }>(
        url,
        `{ sagaState(orderId: "${aOrder}") { status } }`,
        {},
        headers.staff,
      );
      if (res.data?.sagaState) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const q = (query: string): Row["call"] => () => ({ query });
    const open = (query: string): Row => ({ expect: everyone, call: q(query) });
    const rows: Record<Kind, Record<string, Row>> = {
      query: {
        category: open(`{ category(id: "${shop}") { id } }`),
        categoryByName: open(`{ categoryByName(name: "Shop") { id } }`),
        categories: open(`{ categories { id } }`),
        searchCategories: open(`{ searchCategories(searchTerm: "C") { id } }`),
        categoriesPaginated: open(`{ categoriesPaginated { __typename } }`),
        categoryTree: open(`{ categoryTree { __typename } }`),
        categoryStatistics: open(`{ categoryStatistics { __typename } }`),
        categoryExists: open(`{ categoryExists(id: "${shop}") }`),
        product: open(`{ product(id: "${pen}") { id } }`),
        productByName: open(`{ productByName(name: "Pen") { id } }`),
        products: open(`{ products { id } }`),
        searchProducts: open(`{ searchProducts(searchTerm: "P") { id } }`),
        searchProductsAdvanced: open(
          `{ searchProductsAdvanced(input: {text: "P"}) { __typename } }`,
        ),
        productsPaginated: open(`{ productsPaginated { __typename } }`),
        productsByCategory: open(`{ productsByCategory(categoryId: "${shop}") { id } }`),
        productsByPriceRange: open(`{ productsByPriceRange(minPrice: "0.5") { id } }`),
        productStatistics: open(`{ productStatistics { __typename } }`),
        productExists: open(`{ productExists(id: "${pen}") }`),
        order: { expect: ownerOf("NOT_FOUND"), call: q(`{ order(id: "${aOrder}") { id } }`) },
        userOrders: {
          expect: ownerOf("FORBIDDEN"),
          call: q(`{ userOrders(userId: "${A}") { id } }`),
        },
        ordersByStatus: {
          expect: staffOnly,
          call: q(`{ ordersByStatus(status: "pending") { id } }`),
        },
        orderStats: { expect: staffOnly, call: q(`{ orderStats { __typename } }`) },
        sagaState: {
          expect: ownerOf("NOT_FOUND"),
          call: q(`{ sagaState(orderId: "${aOrder}") { status } }`),
        },
        events: {
          expect: { ...adminOnly, anonymous: "UNAUTHENTICATED" },
          call: q(`{ events(limit: 1) { __typename } }`),
        },
        consoleInfo: open(`{ consoleInfo { __typename } }`),
        aggregateHistory: {
          expect: consoleStaff,
          call: q(`{ aggregateHistory(id: "${pen}") { version } }`),
        },
        projections: { expect: consoleAdmin, call: q(`{ projections { __typename } }`) },
        deadLetters: { expect: consoleAdmin, call: q(`{ deadLetters { __typename } }`) },
        projectionJobs: { expect: consoleAdmin, call: q(`{ projectionJobs { __typename } }`) },
        serviceHealth: { expect: consoleAdmin, call: q(`{ serviceHealth { __typename } }`) },
      },
      mutation: {
        createCategory: {
          expect: staffOnly,
          call: () => ({
            query: `mutation { createCategory(input: {name: "N ${crypto.randomUUID()}"}) { id } }`,
          }),
        },
        updateCategory: {
          expect: staffOnly,
          call: q(`mutation { updateCategory(input: {id: "${shop}", description: "d"}) { id } }`),
        },
        deleteCategory: {
          expect: adminOnly,
          call: async () => ({
            query: `mutation { deleteCategory(input: {id: "${await newCategory()}"}) }`,
          }),
        },
        createProduct: {
          expect: staffOnly,
          call: () => ({
            query:
              `mutation { createProduct(input: {name: "Q ${crypto.randomUUID()}", price: "2.00", categoryId: "${shop}"}) { id } }`,
          }),
        },
        updateProduct: {
          expect: staffOnly,
          call: q(`mutation { updateProduct(input: {id: "${pen}", description: "d"}) { id } }`),
        },
        deleteProduct: {
          expect: adminOnly,
          call: async () => ({
            query: `mutation { deleteProduct(input: {id: "${await newProduct()}"}) }`,
          }),
        },
        setStock: {
          expect: staffOnly,
          call: q(`mutation { setStock(input: {productId: "${pen}", quantity: 99999}) { id } }`),
        },
        // Always in A's name: B ordering for A is refused.
        createOrder: {
          expect: ownerOf("FORBIDDEN"),
          call: q(`mutation { createOrder(input: ${orderInput(A)}) { id } }`),
        },
        cancelOrder: {
          expect: ownerOf("FORBIDDEN"),
          call: async () => ({
            query:
              `mutation { cancelOrder(input: {id: "${await newOrder()}", reason: "r"}) { id } }`,
          }),
        },
        updateOrderStatus: {
          expect: staffOnly,
          call: async () => ({
            query:
              `mutation { updateOrderStatus(input: {id: "${await newOrder()}", status: "confirmed"}) { id } }`,
          }),
        },
        startOrderSaga: {
          expect: ownerOf("FORBIDDEN"),
          call: async () => ({
            query: `mutation { startOrderSaga(input: {orderId: "${await newOrder()}"}) { id } }`,
          }),
        },
        archiveProduct: {
          expect: staffOnly,
          call: async () => ({
            query: `mutation { archiveProduct(input: {id: "${await newProduct()}"}) { id } }`,
          }),
        },
        restoreProduct: {
          expect: staffOnly,
          call: async () => {
            const id = await newProduct();
            await staff(`mutation { archiveProduct(input: {id: "${id}"}) { id } }`);
            return { query: `mutation { restoreProduct(input: {id: "${id}"}) { id } }` };
          },
        },
        // The test system verifies with the development secret: anyone may sign in there.
        developmentSignIn: open(`mutation { developmentSignIn(role: "customer") { role } }`),
        rebuildProjection: {
          expect: consoleAdmin,
          call: q(`mutation { rebuildProjection(projection: "statistics") { id } }`),
        },
        replayDeadLetters: {
          expect: consoleAdmin,
          call: q(`mutation { replayDeadLetters(projection: "statistics") { id } }`),
        },
      },
      subscription: {
        categoryCreated: {
          expect: everyone,
          call: q(`subscription { categoryCreated { id } }`),
          trigger: async () => void await newCategory(),
        },
        categoryUpdated: {
          expect: everyone,
          call: q(`subscription { categoryUpdated(id: "${shop}") { id } }`),
          trigger: async () =>
            void await staff(
              `mutation { updateCategory(input: {id: "${shop}", description: "${crypto.randomUUID()}"}) { id } }`,
            ),
        },
        categoryDeleted: {
          expect: everyone,
          call: q(`subscription { categoryDeleted }`),
          trigger: async () => {
            const id = await newCategory();
            const res = await gql(
              url,
              `mutation { deleteCategory(input: {id: "${id}"}) }`,
              {},
              headers.admin,
            );
            assert.equal(res.errors, undefined);
          },
        },
        productCreated: {
          expect: everyone,
          call: q(`subscription { productCreated { id } }`),
          trigger: async () => void await newProduct(),
        },
        productUpdated: {
          expect: everyone,
          call: q(`subscription { productUpdated(id: "${pen}") { id } }`),
          trigger: async () =>
            void await staff(
              `mutation { updateProduct(input: {id: "${pen}", description: "${crypto.randomUUID()}"}) { id } }`,
            ),
        },
        productDeleted: {
          expect: everyone,
          call: q(`subscription { productDeleted }`),
          trigger: async () => {
            const id = await newProduct();
            const res = await gql(
              url,
              `mutation { deleteProduct(input: {id: "${id}"}) }`,
              {},
              headers.admin,
            );
            assert.equal(res.errors, undefined);
          },
        },
        // B subscribing to A's order is let in but never sent A's changes.
        eventAppended: {
          expect: consoleAdmin,
          call: q(`subscription { eventAppended(aggregateType: "Category") { type } }`),
          trigger: async () => void await newCategory(),
        },
        // A fresh order's saga starts on its own and may finish before every subscriber
        // listens: these two subscribe to an order that does not exist yet, which the
        // trigger then places, so each event they wait for comes after they listen.
        orderStatusChanged: {
          expect: ownerOf("HIDDEN"),
          call: () => ({
            query: `subscription($id: ID) { orderStatusChanged(orderId: $id) { id } }`,
            variables: { id: crypto.randomUUID() },
          }),
          trigger: placeOrder,
        },
        sagaProgress: {
          expect: ownerOf("HIDDEN"),
          call: () => ({
            query: `subscription($id: ID!) { sagaProgress(orderId: $id) { status } }`,
            variables: { id: crypto.randomUUID() },
          }),
          trigger: placeOrder,
        },
      },
    };

    await t.step("the matrix has one row for every operation the gateway serves", async () => {
      const res = await gql<Record<string, { fields: { name: string }[] } | null>>(
        url,
        `{ query: __type(name: "Query") { fields { name } }
           mutation: __type(name: "Mutation") { fields { name } }
           subscription: __type(name: "Subscription") { fields { name } } }`,
      );
      assert.equal(res.errors, undefined);
      for (const kind of ["query", "mutation", "subscription"] as const) {
        const served = (res.data![kind]?.fields ?? []).map((f) => f.name).sort();
        assert.deepEqual(
          Object.keys(rows[kind]).sort(),
          served,
          `every ${kind} needs a row in this matrix (and no row names a missing one)`,
        );
      }
    });

    const tally = new Map<string, number>();
    const count = (label: string) => tally.set(label, (tally.get(label) ?? 0) + 1);
    const outcomeOf = (res: GraphQLResponse, field: string): Outcome | string => {
      const code = res.errors?.[0]?.extensions?.code;
      if (code) return code;
      if (res.errors) return `error without code: ${res.errors[0]!.message}`;
      return res.data?.[field] === null ? "NOT_FOUND" : "ok";
    };

    await t.step("queries and mutations over HTTP", async () => {
      for (const kind of ["query", "mutation"] as const) {
        for (const [field, row] of Object.entries(rows[kind])) {
          for (const who of WHO) {
            const call = await row.call(who);
            const before = await eventCount();
            const res = await gql(url, call.query, call.variables ?? {}, headers[who]);
            const expected = row.expect[who];
            const label = `${kind} ${field} as ${who}`;
            assert.equal(outcomeOf(res, field), expected, `${label}: ${JSON.stringify(res)}`);
            if (expected !== "ok") assert.equal(await eventCount(), before, `${label} wrote`);
            count(`http ${expected}`);
          }
        }
      }
    });

    await t.step("subscriptions over SSE and WebSocket", async () => {
      type Result = () => Promise<GraphQLResponse>;
      const overSse = async (call: Call, who: Who): Promise<Result> => {
        const sub = await sseSubscribe(url, call.query, call.variables ?? {}, headers[who]);
        closers.push(() => sub.close());
        // The first payload, however often asked for.
        // Generous: on a loaded machine a saga's next step can take a while to be announced.
        const first = sub.result(60_000);
        first.catch(() => {});
        return () => first;
      };
      const overWs = (call: Call, who: Who): Result => {
        const client = createWsClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams: headers[who].authorization
            ? { authorization: headers[who].authorization }
            : {},
        });
        clients.push(client);
        const first = new Promise<GraphQLResponse>((resolve) =>
          client.subscribe(
            { query: call.query, variables: call.variables ?? {} },
            {
              next: (value) => resolve(value as GraphQLResponse),
              error: (err) =>
                resolve({ errors: Array.isArray(err) ? err : [{ message: String(err) }] }),
              complete: () => {},
            },
          )
        );
        return () => first;
      };
      for (const [transport, open] of [["sse", overSse], ["ws", overWs]] as const) {
        // Those of the transport before are closed.
        await waitForSubscriptions(url, 0, `before the ${transport} rows`);
        let expected = 0;
        for (const [field, row] of Object.entries(rows.subscription)) {
          const call = await row.call("staff");
          const results = new Map<Who, Result>();
          for (const who of WHO) results.set(who, await open(call, who));
          // Every subscriber let in (to be sent events or not) listens before the first trigger.
          expected += WHO.filter((who) => ["ok", "HIDDEN"].includes(row.expect[who])).length;
          await waitForSubscriptions(url, expected, `after opening ${transport} ${field}`);
          // Refusals come before any event; then one event reaches every subscriber let in.
          for (const who of WHO) {
            if (!["ok", "HIDDEN"].includes(row.expect[who])) {
              const res = await results.get(who)!();
              assert.equal(outcomeOf(res, field), row.expect[who], `${transport} ${field} ${who}`);
              count(`${transport} ${row.expect[who]}`);
            }
          }
          // Everyone let in listens (above): one event reaches each of them.
          await row.trigger!(call);
          const hidden: Who[] = [];
          for (const who of WHO) {
            if (row.expect[who] === "ok") {
              const res = await results.get(who)!();
              assert.equal(
                res.errors,
                undefined,
                `${transport} ${field} ${who}: ${JSON.stringify(res)}`,
              );
              assert.ok(res.data?.[field], `${transport} ${field} ${who} receives the event`);
              count(`${transport} ok`);
            } else if (row.expect[who] === "HIDDEN") hidden.push(who);
          }
          // Everyone let in has had the event by now; a hidden subscriber has not.
          for (const who of hidden) {
            const pending = results.get(who)!();
            const got = await Promise.race([pending, Promise.resolve("nothing")]);
            assert.equal(got, "nothing", `${transport} ${field} ${who} receives nothing`);
            count(`${transport} HIDDEN`);
          }
        }
        for (const close of closers.splice(0)) await close();
        for (const client of clients.splice(0)) await client.dispose();
      }
    });

    await t.step("the gRPC ports refuse forged identities and bad tokens", async () => {
      const command = `127.0.0.1:${system.ports.command}`;
      const query = `127.0.0.1:${system.ports.query}`;
      const categories = grpcClient(
        command,
        "command/v1/command.proto",
        "cqrs.command.v1.CategoryCommands",
      );
      const orders = grpcClient(
        command,
        "command/v1/command.proto",
        "cqrs.command.v1.OrderCommands",
      );
      const eventLog = grpcClient(command, "command/v1/command.proto", "cqrs.command.v1.EventLog");
      const orderQueries = grpcClient(query, "query/v1/query.proto", "cqrs.query.v1.OrderQueries");
      const samples: [
        string,
        Record<string, ReturnType<typeof rawClient>[string]>,
        string,
        unknown,
      ][] = [
        ["CreateCategory", categories, "CreateCategory", { name: `G ${crypto.randomUUID()}` }],
        ["CancelOrder", orders, "CancelOrder", { id: aOrder, reason: "r" }],
        ["ListEvents", eventLog, "ListEvents", { limit: 1 }],
        ["GetOrder", orderQueries, "GetOrder", { id: aOrder }],
        ["GetOrderStats", orderQueries, "GetOrderStats", {}],
      ];
      const cases: [string, Record<string, string>, grpc.status][] = [
        ["no token", {}, grpc.status.PERMISSION_DENIED],
        [
          "forged x-user-id",
          { "x-user-id": "root", "x-user-roles": "admin" },
          grpc.status.PERMISSION_DENIED,
        ],
        ...Object.entries(await hostileTokens()).map(([name, authorization]) =>
          [name, { authorization }, grpc.status.UNAUTHENTICATED] as [
            string,
            Record<string, string>,
            grpc.status,
          ]
        ),
      ];
      for (const [rpc, client, method, input] of samples) {
        for (const [name, meta, code] of cases) {
          const before = await eventCount();
          const { err } = await rawCall(client, method, input, meta);
          assert.equal(err?.code, code, `${rpc} with ${name}: ${err?.details ?? "succeeded"}`);
          assert.equal(await eventCount(), before, `${rpc} with ${name} wrote`);
          count(`grpc ${grpc.status[code]}`);
        }
      }
    });

    await t.step("only the saga's service token may call the saga's step RPCs", async () => {
      const steps = grpcClient(
        `127.0.0.1:${system.ports.command}`,
        "command/v1/command.proto",
        "cqrs.command.v1.SagaStepCommands",
      );
      const calls: [string, unknown][] = [
        ["ReserveInventory", { orderId: aOrder, productId: pen, quantity: 1 }],
        ["ReleaseInventory", { orderId: aOrder, productId: pen }],
        ["ProcessPayment", { orderId: aOrder, amount: "1.00" }],
        ["RefundPayment", { orderId: aOrder }],
        ["ArrangeShipping", {
          orderId: aOrder,
          address: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
        }],
        ["CancelShipping", { orderId: aOrder }],
      ];
      // Staff and admins are users, however strong; so is a user token that calls itself saga.
      const users: [string, Record<string, string>][] = [
        ["staff", headers.staff],
        ["admin", headers.admin],
        ["a user named saga", await bearer("saga", ["admin"])],
      ];
      for (const [method, input] of calls) {
        for (const [who, meta] of users) {
          const before = await eventCount();
          const { err } = await rawCall(steps, method, input, {
            ...meta,
            "x-command-id": crypto.randomUUID(),
          });
          assert.equal(err?.code, grpc.status.PERMISSION_DENIED, `${method} as ${who}`);
          assert.equal(await eventCount(), before, `${method} as ${who} wrote`);
          count("grpc PERMISSION_DENIED");
        }
      }
      // The saga's own token passes: a release of nothing reserved is recorded once, as the saga.
      const saga = { ...(await sagaBearer()), "x-command-id": crypto.randomUUID() };
      const other = crypto.randomUUID();
      for (let i = 0; i < 2; i++) {
        const { err } = await rawCall(steps, "ReleaseInventory", {
          orderId: other,
          productId: pen,
        }, saga);
        assert.equal(err, null, `the saga's token: ${err?.details}`);
      }
      const released = await system.db.eventStore<{ userId: string; commandId: string }[]>`
        SELECT event_metadata->>'userId' AS "userId", event_metadata->>'commandId' AS "commandId"
        FROM events WHERE event_data->>'orderId' = ${other}`;
      assert.deepEqual([...released], [{ userId: "saga", commandId: saga["x-command-id"] }]);
      count("grpc OK");
    });

    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    console.log(`authorization matrix: ${total} cases`, Object.fromEntries([...tally].sort()));
  } finally {
    for (const close of closers) await close().catch(() => {});
    for (const client of clients) await client.dispose();
    for (const client of grpcClients) client.close();
    await system.close();
  }
});
