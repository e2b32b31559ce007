/**
 * Harness of the saga tests: fresh databases, the real command service
 * in-process (its gRPC server, which runs the saga's steps and calls the
 * payment gateway and carrier a test chooses), typed clients, saga workers
 * started in-process that reach the command service over gRPC, and readers
 * of the event store.
 */
import assert from "node:assert/strict";
import { categoryCommands, orderCommands, productCommands } from "@proto/command/v1/contract.ts";
import {
  evolve,
  type OrderSagaEvent,
  type OrderSagaState,
  sagaIdFor,
  type SagaStatus,
} from "@shared/domain/order_saga/mod.ts";
import { inventoryIdFor } from "@shared/domain/shared/ids.ts";
import { createClient } from "@shared/grpc/client.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { recordingLogger } from "@shared/testing/command.ts";
import type { Client } from "@shared/grpc/contract.ts";
import { metricsText } from "@shared/observability/mod.ts";
import { sampleValue } from "@shared/testing/observability.ts";
import {
  createTestDatabases,
  type StoredEvent,
  storedEvents,
  type TestDatabases,
} from "@shared/testing/db.ts";
import { type CommandService, startCommandService } from "../../../services/command/app.ts";
import type {
  BookingRequest,
  Carrier,
  ChargeRequest,
  PaymentGateway,
} from "../../../services/command/ports.ts";
import type { PaymentOutcome } from "@shared/domain/payment/mod.ts";
import type { ShippingOutcome } from "@shared/domain/shipment/mod.ts";
import {
  type Simulated,
  simulatedCarrier,
  simulatedGateway,
} from "../../../services/command/adapters.ts";
import {
  type SagaWorker,
  type SagaWorkerOptions,
  startSagaWorker,
} from "../../../services/saga/app.ts";

/** The address every test order ships to. */
export const ADDRESS = { street: "1 Main St", city: "Springfield", postalCode: "12345" };

/** A command service on fresh databases, clients, and the saga workers a test starts. */
export interface SagaHarness {
  db: TestDatabases;
  commands: CommandService;
  orders: Client<typeof orderCommands>;
  products: Client<typeof productCommands>;
  /** The command service's gRPC address, which the saga workers call. */
  commandAddress: string;
  /** Errors logged by the command service or a worker: a test expects none. */
  errors: unknown[];
  /** The payment gateway and carrier the command service calls from now on. */
  usePorts(ports: HarnessPorts): void;
  /** Creates a product at `price` with `stock` units; returns its id. */
  product(price: string, stock: number): Promise<string>;
  /** Places an order of these lines; returns its id. */
  placeOrder(items: { productId: string; quantity: number }[]): Promise<string>;
  /**
   * Starts a worker in-process with short polling (stopped by `stop()` unless
   * stopped before). `ports`, when given, is what the command service calls
   * from now on (see {@link usePorts}).
   */
  startWorker(options?: Partial<SagaWorkerOptions> & { ports?: HarnessPorts }): Promise<SagaWorker>;
  /** The saga of an order, folded from its stream. */
  saga(orderId: string): Promise<OrderSagaState | null>;
  /** Waits until the saga of an order satisfies `done` (default: finished). */
  waitForSaga(
    orderId: string,
    done?: (state: OrderSagaState) => boolean,
    timeoutMs?: number,
  ): Promise<OrderSagaState>;
  /** Every event in global order, or those of one stream. */
  events(streamId?: string): Promise<StoredEvent[]>;
  /** Event types of one stream, in order. */
  types(streamId: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The outside systems the command service's steps call. */
export interface HarnessPorts {
  paymentGateway: PaymentGateway;
  carrier: Carrier;
}

/** Statuses a saga ends in. */
export const FINISHED: SagaStatus[] = ["completed", "compensated"];

/** Whether a saga has finished. */
export const finished = (state: OrderSagaState): boolean => FINISHED.includes(state.status);

/** Starts the harness: fresh databases, the command service, a category for products. */
export async function startSagaHarness(): Promise<SagaHarness> {
  const db = await createTestDatabases();
  const errors: unknown[] = [];
  const logger = recordingLogger(errors);
  let ports: HarnessPorts = succeedingPorts();
  const commands = await startCommandService({
    eventStoreUrl: db.eventStoreUrl,
    port: 0,
    host: "127.0.0.1",
    logger,
    poolSize: 10,
    paymentGateway: {
      charge: (request) => ports.paymentGateway.charge(request),
      refund: (request) => ports.paymentGateway.refund(request),
    },
    carrier: {
      book: (request) => ports.carrier.book(request),
      cancel: (request) => ports.carrier.cancel(request),
    },
  });
  const address = `127.0.0.1:${commands.port}`;
  const deadlines = { deadlines: { command: 20_000 } };
  // Staff keep the catalogue and may order for any customer.
  const { authorization: staff } = await bearer("clerk", ["staff"]);
  const categories = actingAs(createClient(categoryCommands, address, deadlines), staff);
  const products = actingAs(createClient(productCommands, address, deadlines), staff);
  const orders = actingAs(createClient(orderCommands, address, deadlines), staff);
  const workers: SagaWorker[] = [];
  const shop = (await categories.createCategory({ name: "Shop" })).id;
  let made = 0;

  const events = (streamId?: string) => storedEvents(db.eventStore, streamId);
  const saga = async (orderId: string): Promise<OrderSagaState | null> =>
    (await events(sagaIdFor(orderId))).reduce<OrderSagaState | null>(
      (state, e) => evolve(state, e as unknown as OrderSagaEvent),
      null,
    );

  return {
    db,
    commands,
    commandAddress: address,
    orders,
    products,
    errors,
    usePorts(next) {
      ports = next;
    },
    async product(price, stock) {
      const id = (await products.createProduct({
        name: `Product ${++made}`,
        price,
        categoryId: shop,
      })).id;
      await products.setStock({ productId: id, quantity: stock });
      return id;
    },
    async placeOrder(items) {
      return (await orders.createOrder({
        customerId: crypto.randomUUID(),
        items,
        shippingAddress: ADDRESS,
      })).id;
    },
    async startWorker({ ports: next, ...options } = {}) {
      if (next) ports = next;
      const worker = await startSagaWorker({
        eventStoreUrl: db.eventStoreUrl,
        commandAddress: address,
        logger,
        pollMs: 50,
        timerMs: 50,
        retryBaseMs: 20,
        retryMaxMs: 200,
        ...options,
      });
      workers.push(worker);
      return worker;
    },
    saga,
    async waitForSaga(orderId, done = finished, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = await saga(orderId);
        if (state && done(state)) return state;
        if (Date.now() > deadline) {
          assert.fail(`saga of order ${orderId} still ${state?.status ?? "missing"}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    events,
    async types(streamId) {
      return (await events(streamId)).map((e) => e.type);
    },
    async stop() {
      for (const worker of workers) await worker.stop().catch(() => {});
      categories.close();
      products.close();
      orders.close();
      await commands.stop();
      await db.drop();
    },
  };
}

/** Adapters that always succeed, with their call counters. */
export function succeedingPorts(): {
  paymentGateway: Simulated<PaymentGateway>;
  carrier: Simulated<Carrier>;
} {
  return {
    paymentGateway: simulatedGateway({ mode: "succeed" }),
    carrier: simulatedCarrier({ mode: "succeed" }),
  };
}

/**
 * Ports whose charges take `ms` (refunds are immediate) and whose carrier
 * books at once, to catch a saga inside its payment step.
 */
export function slowChargePorts(ms: number): { paymentGateway: PaymentGateway; carrier: Carrier } {
  const slow = simulatedGateway({ mode: "delay", delayMs: ms });
  const quick = simulatedGateway({ mode: "succeed" });
  return {
    paymentGateway: {
      charge: (request) => slow.charge(request),
      refund: (request) => quick.refund(request),
    },
    carrier: simulatedCarrier({ mode: "succeed" }),
  };
}

/** What is left of a product's stock: `available` of its inventory's last event. */
export async function available(h: SagaHarness, productId: string): Promise<number> {
  return (await h.events(inventoryIdFor(productId))).at(-1)?.data.available as number;
}

/** The types of the inventory events of one order for a product. */
export async function reservations(
  h: SagaHarness,
  productId: string,
  orderId: string,
): Promise<string[]> {
  return (await h.events(inventoryIdFor(productId)))
    .filter((e) => e.data.orderId === orderId)
    .map((e) => e.type);
}

/** One sample of this process's metrics; 0 when absent. */
export async function metric(name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(await metricsText(), name, labels) ?? 0;
}

/** Asserts that every saga is recorded finished and nothing was logged as an error. */
export async function assertAllFinished(h: SagaHarness): Promise<void> {
  const unfinished = await h.db.eventStore`
    SELECT saga_id FROM saga_instances WHERE status NOT IN ('completed', 'compensated')`;
  assert.equal(unfinished.length, 0, "every saga is recorded as finished");
  assert.deepEqual(h.errors, []);
}

/** One charge or booking an outside service made, with how often it was asked for. */
export interface OutsideRecord<O> {
  orderId: string;
  outcome: O;
  /** Requests under its idempotency key: a retry after a crash asks again. */
  calls: number;
  /** Answers sent (a request held until its worker was killed is answered to nobody). */
  answered: number;
}

/**
 * A payment gateway and a carrier served over HTTP by the test process, as
 * httpGateway and httpCarrier expect: the command service's steps call them,
 * and their record outlives a saga worker that is killed. Each charges
 * or books once per idempotency key and answers a repeated key as it did the
 * first time.
 */
export interface OutsideServices {
  /** The base URL of both (PAYMENT_URL and CARRIER_URL). */
  url: string;
  /** Charges made, by idempotency key. */
  charges: Map<string, OutsideRecord<PaymentOutcome>>;
  /** Bookings made, by idempotency key. */
  bookings: Map<string, OutsideRecord<ShippingOutcome>>;
  /** Refunds and cancellations asked for, by idempotency key. */
  undone: string[];
  /**
   * Awaited after a new charge or booking is made and before it is answered
   * (not for a repeated key), so a test can act inside that window.
   */
  beforeAnswer: {
    charge?: ((request: ChargeRequest) => Promise<void>) | undefined;
    booking?: ((request: BookingRequest) => Promise<void>) | undefined;
  };
  close(): Promise<void>;
}

/** Starts {@link OutsideServices} on a free port. */
export function startOutsideServices(): OutsideServices {
  const charges = new Map<string, OutsideRecord<PaymentOutcome>>();
  const bookings = new Map<string, OutsideRecord<ShippingOutcome>>();
  const undone: string[] = [];
  const beforeAnswer: OutsideServices["beforeAnswer"] = {};
  let made = 0;

  async function once<R extends { orderId: string; idempotencyKey: string }, O>(
    records: Map<string, OutsideRecord<O>>,
    request: R,
    make: () => O,
    hook: ((request: R) => Promise<void>) | undefined,
  ): Promise<Response> {
    let record = records.get(request.idempotencyKey);
    if (record) {
      record.calls++;
    } else {
      record = { orderId: request.orderId, outcome: make(), calls: 1, answered: 0 };
      records.set(request.idempotencyKey, record);
      await hook?.(request);
    }
    record.answered++;
    return Response.json(record.outcome);
  }

  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      const body = await req.json();
      switch (path) {
        case "/charges":
          return await once(charges, body as ChargeRequest, () => ({
            status: "approved" as const,
            transactionRef: `tx-${++made}`,
          }), beforeAnswer.charge);
        case "/bookings":
          return await once(bookings, body as BookingRequest, () => ({
            status: "arranged" as const,
            carrier: "Outside Parcel",
            trackingNumber: `OP-${++made}`,
          }), beforeAnswer.booking);
        case "/refunds":
        case "/cancellations":
          undone.push((body as { idempotencyKey: string }).idempotencyKey);
          return new Response(null, { status: 204 });
        default:
          return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    charges,
    bookings,
    undone,
    beforeAnswer,
    close: () => server.shutdown(),
  };
}
